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
from sklearn import metrics as skm


class PRCurve(NamedTuple):
    """(K,) each: recall, precision and the confidence threshold of each point."""

    recall: np.ndarray
    precision: np.ndarray
    thresholds: np.ndarray


class ROCCurve(NamedTuple):
    """``fpr``, ``tpr``, ``thresholds`` as ``sklearn.metrics.roc_curve`` returns them, and the ROC AUC.

    With sequences of one kind only (all with or all without occlusion) the curve is undefined: empty
    arrays and ``auc`` NaN.
    """

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    auc: float


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
    scores = [
        0.0 if seq['best_track'] is None else float(seq['best_track']['score'])
        for seq in results['sequences']
    ]
    return np.array(scores, dtype=np.float64)


def roc_curve(results: dict) -> ROCCurve:
    """ROC curve and AUC of sequence presence against the sequence score (see the module docstring)."""
    y_true = presence_labels(results)
    scores = sequence_scores(results)
    if len(np.unique(y_true)) < 2:
        empty = np.zeros(0, dtype=np.float64)
        return ROCCurve(empty, empty, empty, math.nan)
    fpr, tpr, thresholds = skm.roc_curve(y_true, scores)
    return ROCCurve(fpr, tpr, thresholds, float(skm.roc_auc_score(y_true, scores)))
