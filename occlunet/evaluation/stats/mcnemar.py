"""McNemar's test of two models' per-sequence correctness on the same sequences.

A sequence is *correct* when its outcome is ``TP`` or ``TN`` (``FP``, ``FN`` and ``FN+FP`` are errors).
The sequences of two result files are paired by ``(file_name, video_id)``.

Table (rows: A, columns: B)::

                 B correct   B wrong
    A correct        n11        b
    A wrong           c        n00

Only the discordant pairs ``b`` (only A correct) and ``c`` (only B correct) matter. ``p_exact`` is the
two-sided exact binomial p-value of ``b`` successes in ``b + c`` trials with p = 0.5
(``scipy.stats.binomtest``); ``chi2 = (|b - c| - 1)^2 / (b + c)`` is the continuity-corrected (Edwards)
statistic, as ``statsmodels``' ``mcnemar(exact=False, correction=True)``, with ``p_chi2`` its upper tail
under chi-square with 1 degree of freedom. Without discordant pairs (``b + c = 0``) the two models cannot
be told apart: ``p_exact = p_chi2 = 1`` and ``chi2 = 0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import binomtest, chi2

from ..verdict import is_correct_outcome

SHOW_UNMATCHED = 5  # unmatched sequences named in an error message


@dataclass(frozen=True)
class McNemarResult:
    """``table``: ``[[both correct, only A correct], [only B correct, both wrong]]``; ``b``, ``c``: the
    discordant counts (only A correct, only B correct); the p-values and statistic: see the module
    docstring."""

    table: tuple[tuple[int, int], tuple[int, int]]
    b: int
    c: int
    p_exact: float
    chi2: float
    p_chi2: float

    @property
    def n(self) -> int:
        return sum(sum(row) for row in self.table)

    def to_dict(self) -> dict:
        return dict(asdict(self), table=[list(row) for row in self.table], n=self.n)


def mcnemar_test(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> McNemarResult:
    """McNemar's test of paired correctness flags (see the module docstring).

    Shape:
        correct_a, correct_b: (N,) booleans, entry i for the same sequence in both.
    """
    a = np.asarray(correct_a, dtype=bool).reshape(-1)
    b_flags = np.asarray(correct_b, dtype=bool).reshape(-1)
    if a.shape != b_flags.shape:
        raise ValueError(f'mcnemar_test: {len(a)} flags for A but {len(b_flags)} for B')
    both = int(np.sum(a & b_flags))
    b = int(np.sum(a & ~b_flags))
    c = int(np.sum(~a & b_flags))
    neither = int(np.sum(~a & ~b_flags))
    if b + c == 0:
        p_exact, stat, p_chi2 = 1.0, 0.0, 1.0
    else:
        p_exact = float(binomtest(b, b + c, 0.5).pvalue)
        stat = (abs(b - c) - 1) ** 2 / (b + c)
        p_chi2 = float(chi2.sf(stat, 1))
    return McNemarResult(((both, b), (c, neither)), b, c, p_exact, float(stat), p_chi2)


def sequence_key(sequence: dict) -> tuple[str, object]:
    """``(file_name, video_id)`` of one entry of a result file's ``sequences``."""
    return (sequence['file_name'], sequence['video_id'])


def is_correct(sequence: dict) -> bool:
    """Outcome ``TP`` or ``TN``."""
    return is_correct_outcome(sequence['outcome'])


def keyed_sequences(results: dict, name: str) -> dict[tuple, dict]:
    """The sequences of a result document by :func:`sequence_key`; duplicate keys are an error."""
    keyed: dict[tuple, dict] = {}
    for sequence in results['sequences']:
        key = sequence_key(sequence)
        if key in keyed:
            raise ValueError(f'{name}: sequence (file_name, video_id)={key} appears more than once')
        keyed[key] = sequence
    return keyed


def _first(keys: list[tuple]) -> str:
    shown = ', '.join(repr(k) for k in keys[:SHOW_UNMATCHED])
    return shown + (f', ... ({len(keys) - SHOW_UNMATCHED} more)' if len(keys) > SHOW_UNMATCHED else '')


def paired_correctness(
    results_a: dict, results_b: dict, names: tuple[str, str] = ('A', 'B')
) -> tuple[list[tuple], np.ndarray, np.ndarray]:
    """Pair the sequences of two result documents by ``(file_name, video_id)``.

    Args:
        results_a, results_b: documents as returned by ``load_results``.
        names: how the two are named in error messages (e.g. their paths).

    Returns:
        ``keys`` (in the order of ``results_a``), ``correct_a`` and ``correct_b``, (N,) booleans.

    Raises:
        ValueError: a key is repeated within a file, or the two files do not hold the same sequences;
            the message names both and the first few unmatched sequences.
    """
    keyed_a = keyed_sequences(results_a, names[0])
    keyed_b = keyed_sequences(results_b, names[1])
    only_a = [k for k in keyed_a if k not in keyed_b]
    only_b = [k for k in keyed_b if k not in keyed_a]
    if only_a or only_b:
        parts = [
            f'{len(only)} only in {name}: {_first(only)}'
            for only, name in ((only_a, names[0]), (only_b, names[1]))
            if only
        ]
        raise ValueError(
            f'{names[0]} ({len(keyed_a)} sequences) and {names[1]} ({len(keyed_b)} sequences) do not hold '
            f'the same sequences (paired by (file_name, video_id)); ' + '; '.join(parts)
        )
    keys = list(keyed_a)
    correct_a = np.array([is_correct(keyed_a[k]) for k in keys], dtype=bool)
    correct_b = np.array([is_correct(keyed_b[k]) for k in keys], dtype=bool)
    return keys, correct_a, correct_b
