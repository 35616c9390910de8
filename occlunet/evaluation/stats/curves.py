"""PR and ROC curves of one ``SequenceDetectionMetric`` result document, as arrays.

PR: the document's ``sweep``, one point per confidence threshold (ascending); points whose precision or
recall is undefined (null / NaN: no track, or no GT at that threshold) are skipped.

ROC: sequence presence (``gt_label``, else whether the sequence has GT boxes) against the sequence score,
the best track's trajectory score (0 without a track), as the metric's ``sequence/auc``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..verdict import ROCCurve, presence_score, roc_from_scores


class PRCurve(NamedTuple):
    """(K,) each: recall, precision and the confidence threshold of each point."""

    recall: np.ndarray
    precision: np.ndarray
    thresholds: np.ndarray


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def pr_curve(results: dict) -> PRCurve:
    """Recall and precision of the sweep, thresholds ascending, undefined points skipped."""
    rows = sorted(results['sweep'], key=lambda row: row['score_thr'])
    thr = np.array([float(row['score_thr']) for row in rows], dtype=np.float64)
    recall = np.array([_number(row['recall']) for row in rows], dtype=np.float64)
    precision = np.array([_number(row['precision']) for row in rows], dtype=np.float64)
    keep = np.isfinite(recall) & np.isfinite(precision)
    return PRCurve(recall[keep], precision[keep], thr[keep])


def presence_labels(results: dict) -> np.ndarray:
    """(N,) int: 1 where the sequence has an occlusion (``gt_label``, else GT boxes present)."""
    labels = [
        int(seq['gt_label']) if seq['gt_label'] is not None else int(len(seq['gt']) > 0)
        for seq in results['sequences']
    ]
    return np.array(labels, dtype=np.int64)


def sequence_scores(results: dict) -> np.ndarray:
    """(N,) float: the best track's score, 0 where no track passed the metric's ``score_thr``."""
    return np.array([presence_score(seq['best_track']) for seq in results['sequences']], dtype=np.float64)


def roc_curve(results: dict) -> ROCCurve:
    """ROC curve and AUC of sequence presence against the sequence score (see the module docstring)."""
    return roc_from_scores(presence_labels(results), sequence_scores(results))
