"""Precision, recall and F1 from TP/FP/FN counts, NaN where undefined."""

from __future__ import annotations

import math


def ratio(num: int, den: int) -> float:
    """num / den, NaN when den is 0."""
    return num / den if den > 0 else math.nan


def detection_rates(tp: int, fp: int, fn: int) -> dict[str, float]:
    """``precision`` = tp / (tp + fp), ``recall`` = tp / (tp + fn), ``f1`` = 2 tp / (2 tp + fp + fn).

    Each is NaN when its denominator is 0 (no prediction, no GT, neither). F1 is the harmonic mean of
    precision and recall where both are defined, and 0 when there are misses but no hit.
    """
    return dict(
        precision=ratio(tp, tp + fp),
        recall=ratio(tp, tp + fn),
        f1=ratio(2 * tp, 2 * tp + fp + fn),
    )


def harmonic_f1(precision: float, recall: float) -> float:
    """The harmonic mean of precision and recall: 0 when either is 0 (even if the other is NaN), NaN when
    either is otherwise undefined."""
    if precision == 0 or recall == 0:
        return 0.0
    if math.isnan(precision) or math.isnan(recall):
        return math.nan
    return 2 * precision * recall / (precision + recall)
