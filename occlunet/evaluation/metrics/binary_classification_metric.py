"""Sequence-level binary classification metric (thrombus yes/no, Mittmann et al. 2022): MCC, ROC AUC, ..."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from sklearn.metrics import confusion_matrix

from ..results_record import json_safe
from ..verdict import binary_mcc, roc_auc

PROB_EPS = 1e-7  # probabilities are clipped to [eps, 1 - eps] for the log loss
META_KEYS = ('video_id', 'file_name', 'study_id', 'view')


def _field(sample: Any, name: str) -> Any:
    """``name`` from a data sample, its metainfo, or the dict mmengine's ``Evaluator`` makes of it."""
    if isinstance(sample, Mapping):
        return sample.get(name)
    if name in sample.metainfo:
        return sample.metainfo[name]
    return getattr(sample, name, None)


def _scalar(value: Any) -> float:
    """A python float from a one-element tensor, array or list, or a number."""
    if hasattr(value, 'detach'):
        value = value.detach().cpu()
    return float(np.asarray(value, dtype=np.float64).reshape(-1)[0])


def _ratio(num: int, den: int) -> float:
    return num / den if den else math.nan


@METRICS.register_module()
class BinaryClassificationMetric(BaseMetric):
    """Per-sequence binary classification: one probability per DSA sequence against its label.

    Reads from each data sample ``gt_label`` (0/1) and ``pred_score`` (the probability of class 1, as set
    by ``SequenceClassifier.predict``); the decision is ``pred = score >= threshold``. Metrics (plain
    floats / ints, under the prefix, default ``'classification'``):

    - ``mcc``: Matthews correlation coefficient (the paper's model-selection criterion; 0 where undefined,
      as sklearn);
    - ``auc``: ROC AUC of the scores; NaN, with a warning, unless both classes are present;
    - ``sensitivity`` = TP / (TP + FN), ``specificity`` = TN / (TN + FP), ``accuracy``; NaN where the
      denominator is 0;
    - ``bce``: mean binary cross-entropy of the probabilities (clipped to [1e-7, 1 - 1e-7]), the
      validation loss, e.g. for ``ReduceOnPlateauLR(monitor='classification/bce')``;
    - ``tp``, ``fp``, ``fn``, ``tn``: the confusion counts.

    ``out_file`` (``tools/test.py --out results.json``) is a JSON document, read by ``tools/ensemble.py``::

        {"sequences": [{"video_id": int, "file_name": str, "study_id": str|null, "view": str|null,
                        "label": 0|1, "score": float, "pred": 0|1}, ...],
         "metrics": {"classification/mcc": ..., ...},   # NaN written as null
         "settings": {"threshold": float},
         "num_sequences": int}

    Args:
        threshold: probability at or above which a sequence is classified positive.
        out_file: path of the JSON document above; None writes nothing.
        collect_device, prefix, collect_dir: see mmengine's ``BaseMetric``.
    """

    default_prefix: str | None = 'classification'

    def __init__(
        self,
        threshold: float = 0.5,
        out_file: str | None = None,
        collect_device: str = 'cpu',
        prefix: str | None = None,
        collect_dir: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f'{self.__class__.__name__}: threshold must be in [0, 1], got {threshold}')
        self.threshold = float(threshold)
        self.out_file = out_file

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Keep each sequence's identity, label and score as plain python values."""
        for sample in data_samples:
            label, score = _field(sample, 'gt_label'), _field(sample, 'pred_score')
            if label is None or score is None:
                raise ValueError(
                    f'{self.__class__.__name__}: video_id={_field(sample, "video_id")}: a data sample needs '
                    "'gt_label' and 'pred_score' (a classifier's predict output)"
                )
            record = {key: _field(sample, key) for key in META_KEYS}
            record['label'] = int(_scalar(label))
            record['score'] = _scalar(score)
            self.results.append(record)

    def compute_metrics(self, results: list) -> dict[str, float | int]:
        """Confusion counts at ``threshold``, MCC, AUC, sensitivity, specificity, accuracy, BCE."""
        y_true = np.array([r['label'] for r in results], dtype=np.int64)
        scores = np.array([r['score'] for r in results], dtype=np.float64)
        y_pred = (scores >= self.threshold).astype(np.int64)
        bad = sorted(set(y_true.tolist()) - {0, 1})
        if bad:
            raise ValueError(f'{self.__class__.__name__}: labels must be 0 or 1, got {bad}')
        tn, fp, fn, tp = (int(v) for v in confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel())
        mcc = binary_mcc(y_true, y_pred)
        auc = roc_auc(y_true, scores, warn=self.__class__.__name__)
        probs = np.clip(scores, PROB_EPS, 1 - PROB_EPS)
        log_likelihood = y_true * np.log(probs) + (1 - y_true) * np.log1p(-probs)
        bce = float(-np.mean(log_likelihood)) if len(results) else math.nan
        metrics: dict[str, float | int] = dict(
            mcc=mcc,
            auc=auc,
            sensitivity=_ratio(tp, tp + fn),
            specificity=_ratio(tn, tn + fp),
            accuracy=_ratio(tp + tn, len(results)),
            bce=bce,
            tp=tp,
            fp=fp,
            fn=fn,
            tn=tn,
        )
        if self.out_file is not None:
            self.write_json(results, y_pred, metrics)
        return metrics

    def write_json(self, records: Sequence[dict], y_pred: np.ndarray, metrics: dict) -> None:
        sequences = [
            dict(
                video_id=r['video_id'],
                file_name=r['file_name'],
                study_id=r['study_id'],
                view=r['view'],
                label=r['label'],
                score=r['score'],
                pred=int(p),
            )
            for r, p in zip(records, y_pred)
        ]
        prefix = self.prefix + '/' if self.prefix else ''
        document = dict(
            sequences=sequences,
            metrics={prefix + k: v for k, v in metrics.items()},
            settings=dict(threshold=self.threshold),
            num_sequences=len(records),
        )
        path = Path(self.out_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(json_safe(document), indent=2, allow_nan=False))
        print_log(f'{self.__class__.__name__}: wrote {len(records)} sequence(s) to {path}', logger='current')
