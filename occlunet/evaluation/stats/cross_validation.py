"""Mean and standard deviation of classifier metrics over cross-validation folds.

Each fold contributes one classifier result document (``classification.py``). Its metrics are computed
from the ``sequences`` entries (ground truth ``label``, probability ``score``, decision
``score >= threshold``): over all sequences, per view, and the paired PA + LAT decision (``ensemble.py``).
The spread is the sample standard deviation (``ddof=1``) over the folds where the metric is defined (an
AUC is undefined on a fold with one ground-truth class only); NaN with fewer than two such folds.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .classification import BinaryMetrics, binary_metrics
from .ensemble import PAIRED, evaluate

ALL_SEQUENCES = 'sequences'


@dataclass(frozen=True)
class MeanSD:
    """``mean`` and sample ``sd`` of the ``n`` defined values out of ``total``."""

    mean: float
    sd: float
    n: int
    total: int

    def format(self, digits: int = 3) -> str:
        """``0.712 ± 0.048``, with ``(n of total folds)`` when some folds are undefined."""
        if self.n == 0:
            return 'undefined'
        sd = '-' if math.isnan(self.sd) else f'{self.sd:.{digits}f}'
        text = f'{self.mean:.{digits}f} ± {sd}'
        return text if self.n == self.total else f'{text} ({self.n} of {self.total} folds)'

    def to_dict(self) -> dict:
        nan_to_none = lambda x: None if math.isnan(x) else x  # noqa: E731
        return {'mean': nan_to_none(self.mean), 'sd': nan_to_none(self.sd), 'n': self.n, 'total': self.total}


def mean_sd(values: Sequence[float]) -> MeanSD:
    """Mean and sample standard deviation of the finite ``values`` (NaN: undefined, left out)."""
    defined = [float(v) for v in values if v is not None and math.isfinite(v)]
    mean = statistics.fmean(defined) if defined else math.nan
    sd = statistics.stdev(defined) if len(defined) > 1 else math.nan
    return MeanSD(mean, sd, len(defined), len(values))


def fold_metrics(document: dict, threshold: float, name: str = '<results>') -> dict[str, BinaryMetrics]:
    """Metrics of one fold's result document: ``sequences`` (all), each view, and ``PA+LAT`` (paired
    decision over every study; absent when no study has both views)."""
    seqs = document['sequences']
    out = {ALL_SEQUENCES: binary_metrics([s['label'] for s in seqs], [s['score'] for s in seqs], threshold)}
    evaluation = evaluate([document], [name], threshold)
    out.update(evaluation.views)
    if evaluation.paired is not None:
        out[PAIRED] = evaluation.paired
    return out


def summarize_folds(
    per_fold: Sequence[dict[str, BinaryMetrics]], keys: Sequence[str] = ('mcc', 'auc')
) -> dict:
    """``{group: {metric: MeanSD}}`` over the folds, for every group (all sequences, views, paired) any
    fold has; a fold without a group counts as undefined for it."""
    groups: list[str] = []
    for metrics in per_fold:
        groups += [g for g in metrics if g not in groups]
    return {
        group: {
            key: mean_sd([getattr(m[group], key) if group in m else math.nan for m in per_fold])
            for key in keys
        }
        for group in groups
    }
