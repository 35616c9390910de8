"""The sequence verdict: which track speaks for a DSA sequence, what it scored, and the presence statistics.

The one home of the rules that ``SequenceDetectionMetric``, the result-file readers (threshold
calibration, curves, reports), the classifier metrics and ``SequenceInferencer`` share:

- track order: best first, trajectory score descending, then earlier first frame, then ``track_id``, then
  list order (:func:`track_order_key`, :func:`sort_tracks`; as ``Track.sort_key``);
- the best track at a threshold: the first track (in that order) whose *confidence*, the mean of its
  detections' confidences, is ``>= score_thr`` (:func:`best_track`);
- the presence score: the best track's trajectory score, 0 without one (:func:`presence_score`);
- the outcome TP / FP / FN / TN of the best track against the GT boxes (:func:`sequence_outcome`,
  :func:`judge_sequence`), and which outcomes are correct (:func:`is_correct_outcome`);
- MCC (sklearn's; 0 where undefined, NaN without sequences) and ROC AUC (NaN unless both labels occur)
  (:func:`binary_mcc`, :func:`roc_auc`, :func:`roc_from_scores`).

Tracks are mappings with at least ``score``, ``confidence`` and, for the order, ``frame_ids`` and
``track_id`` (a ``Track.to_dict()`` plus ``confidence``, or a result file's track entry).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import NamedTuple, TypeVar

import numpy as np
from sklearn import metrics as skm

TrackT = TypeVar('TrackT', bound=Mapping)


# --------------------------------------------------------------------------------------------------
# box formats


def xyxy_to_xywh(box: Sequence[float]) -> list[float]:
    """``[x1, y1, x2, y2]`` -> ``[x, y, w, h]`` (the result files' box format)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return [x1, y1, x2 - x1, y2 - y1]


def xywh_to_xyxy(box: Sequence[float]) -> np.ndarray:
    """``[x, y, w, h]`` -> ``[x1, y1, x2, y2]`` as a float64 array.

    Shape:
        box: (4,) -> (4,)
    """
    x, y, w, h = (float(v) for v in box)
    return np.array([x, y, x + w, y + h], dtype=np.float64)


# --------------------------------------------------------------------------------------------------
# tracks


def track_order_key(track: Mapping) -> tuple[float, int, int]:
    """Ascending key that puts the best track first: score descending, then first frame (0 without
    frames), then ``track_id`` (-1 when absent); ``Track.sort_key`` on a track mapping."""
    frame_ids = track['frame_ids']
    first = frame_ids[0] if len(frame_ids) else 0
    return -track['score'], first, track.get('track_id', -1)


def sort_tracks(tracks: Iterable[TrackT]) -> list[TrackT]:
    """The tracks best first (:func:`track_order_key`; stable, so list order breaks remaining ties)."""
    return sorted(tracks, key=track_order_key)


def best_track(tracks: Iterable[TrackT], score_thr: float, sweep_thr: float | None = None) -> TrackT | None:
    """The best track of a sequence, or None.

    Args:
        tracks: the sequence's tracks, best first (:func:`sort_tracks`).
        score_thr: the first track whose ``confidence >= score_thr`` is the best track.
        sweep_thr: a PR-sweep threshold: the track chosen at ``score_thr`` counts only if its
            confidence is also ``>= sweep_thr`` (it is not chosen again among the tracks passing it).
    """
    best = next((t for t in tracks if t['confidence'] >= score_thr), None)
    if best is not None and sweep_thr is not None and best['confidence'] < sweep_thr:
        return None
    return best


def label_name(label: int | None, classes: Sequence[str]) -> str | None:
    """The class name of ``label`` (its number as a string outside ``classes``), None for None."""
    if label is None:
        return None
    return classes[label] if 0 <= label < len(classes) else str(label)


def presence_score(best: Mapping | None) -> float:
    """The sequence score of ROC AUC: the best track's trajectory score, 0.0 without a best track."""
    return 0.0 if best is None else float(best['score'])


# --------------------------------------------------------------------------------------------------
# outcome


@dataclass(frozen=True)
class SequenceOutcome:
    """What the best track of one sequence scored.

    Attributes:
        tp: GT present and the best track's centre is within the distance of a GT box centre with the
            right class (class ignored in single-class mode).
        fn: GT present and no such hit (no track, wrong place or wrong class).
        fp: a track exists and it is no hit (no GT, or wrong place/class): a false alarm.
        tn: no GT and no track.
        gt_class: the GT label the sequence counts under for recall: the matched box's label on a hit,
            else the label of the GT box whose centre is nearest to the track, else of the first GT box;
            None without GT.
        pred_class: the best track's label when it exists, else None.
        distance: reference-frame distance from the track centre to the centre of the matched (or
            nearest) GT box; None without track or GT.
    """

    tp: bool
    fp: bool
    fn: bool
    tn: bool
    gt_class: int | None
    pred_class: int | None
    distance: float | None

    @property
    def name(self) -> str:
        """'TP', 'FP', 'FN', 'FN+FP' or 'TN'."""
        parts = [
            n for n, flag in (('TP', self.tp), ('FN', self.fn), ('FP', self.fp), ('TN', self.tn)) if flag
        ]
        return '+'.join(parts)

    def to_dict(self) -> dict:
        return dict(asdict(self), outcome=self.name)


#: The outcomes of a correctly judged sequence (what McNemar's test compares); FP, FN, FN+FP are errors.
CORRECT_OUTCOMES = frozenset({'TP', 'TN'})


def is_correct_outcome(outcome: str) -> bool:
    """Whether an outcome name (``SequenceOutcome.name``) is a correct verdict: TP or TN."""
    return outcome in CORRECT_OUTCOMES


def box_centres(boxes: np.ndarray) -> np.ndarray:
    """(x, y) centres of xyxy boxes.

    Shape:
        boxes: (M, 4) -> (M, 2)
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], axis=1)


def sequence_outcome(
    gt_bboxes: np.ndarray,
    gt_labels: np.ndarray,
    track_bbox: np.ndarray | None,
    track_label: int | None,
    ref_scale: float,
    distance_thr: float,
    single_class: bool,
) -> SequenceOutcome:
    """Score one sequence.

    Args:
        gt_bboxes: GT boxes, xyxy, DICOM pixels; none means no occlusion.
        gt_labels: their labels.
        track_bbox: the best track's box, xyxy, DICOM pixels; None when no track passes.
        track_label: the best track's label (None when no track).
        ref_scale: reference size / max(H0, W0): multiplies DICOM-pixel distances.
        distance_thr: hit radius in reference pixels (inclusive).
        single_class: ignore the class when matching.

    Shape:
        gt_bboxes: (M, 4), gt_labels: (M,), track_bbox: (4,)
    """
    gt_labels = np.asarray(gt_labels, dtype=np.int64).reshape(-1)
    has_gt = len(gt_labels) > 0
    if track_bbox is None:
        first = int(gt_labels[0]) if has_gt else None
        return SequenceOutcome(False, False, has_gt, not has_gt, first, None, None)
    if not has_gt:
        return SequenceOutcome(False, True, False, False, None, int(track_label), None)
    centre = box_centres(np.asarray(track_bbox).reshape(1, 4))[0]
    distances = np.hypot(*(box_centres(gt_bboxes) - centre).T) * ref_scale  # (M,)
    hits = distances <= distance_thr
    if not single_class:
        hits &= gt_labels == track_label
    if hits.any():
        index = int(np.flatnonzero(hits)[np.argmin(distances[hits])])
        return SequenceOutcome(
            True, False, False, False, int(gt_labels[index]), int(track_label), float(distances[index])
        )
    index = int(np.argmin(distances))
    return SequenceOutcome(
        False, True, True, False, int(gt_labels[index]), int(track_label), float(distances[index])
    )


def judge_sequence(
    gt_bboxes: Sequence[Sequence[float]],
    gt_labels: Sequence[int],
    best: Mapping | None,
    best_bbox: Sequence[float] | None,
    ori_shape: Sequence[int],
    ref_size: float,
    distance_thr: float,
    single_class: bool,
) -> SequenceOutcome:
    """:func:`sequence_outcome` of a sequence's best track, distances in a ``ref_size`` reference frame.

    Args:
        gt_bboxes: GT boxes, xyxy, DICOM pixels.
        gt_labels: their labels.
        best: the best track (its ``label`` is used), or None.
        best_bbox: the best track's box, xyxy, DICOM pixels (ignored without ``best``).
        ori_shape: (H0, W0) of the DICOM: DICOM-pixel distances are scaled by ``ref_size / max(H0, W0)``.
        ref_size: long side of the reference frame of ``distance_thr``.
        distance_thr: hit radius in reference pixels (inclusive).
        single_class: ignore the class when matching.
    """
    return sequence_outcome(
        np.asarray(gt_bboxes, dtype=np.float64).reshape(-1, 4),
        np.asarray(gt_labels, dtype=np.int64),
        None if best is None else np.asarray(best_bbox),
        None if best is None else best['label'],
        ref_size / max(ori_shape),
        distance_thr,
        single_class,
    )


# --------------------------------------------------------------------------------------------------
# presence statistics


class ROCCurve(NamedTuple):
    """``fpr``, ``tpr``, ``thresholds`` as ``sklearn.metrics.roc_curve`` returns them, and the ROC AUC.

    With one label only (all sequences with or all without occlusion) the curve is undefined: empty
    arrays and ``auc`` NaN.
    """

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    auc: float


def binary_mcc(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray) -> float:
    """Matthews correlation of 0/1 decisions: scikit-learn's value, 0 where undefined (one label or one
    decision only; its warning is silenced), NaN without any sequence.

    Shape:
        y_true, y_pred: (N,)
    """
    if len(y_true) == 0:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)
        warnings.simplefilter('ignore', RuntimeWarning)
        return float(skm.matthews_corrcoef(y_true, y_pred))


def both_labels(y_true: Sequence[int] | np.ndarray) -> bool:
    """Whether ROC AUC is defined: both labels occur."""
    return len(np.unique(np.asarray(y_true))) == 2


def roc_auc(
    y_true: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, warn: str | None = None
) -> float:
    """ROC AUC of ``scores`` against 0/1 ``y_true``; NaN unless both labels occur.

    Args:
        y_true: (N,) 0/1 labels.
        scores: (N,) scores, higher meaning label 1.
        warn: when set, a ``UserWarning`` starting with it is issued where the AUC is undefined.
    """
    if both_labels(y_true):
        return float(skm.roc_auc_score(y_true, scores))
    if warn is not None:
        warnings.warn(
            f'{warn}: ROC AUC is undefined (NaN): the {len(y_true)} sequence(s) need both labels '
            '(with and without occlusion)',
            UserWarning,
            stacklevel=3,
        )
    return math.nan


def roc_from_scores(y_true: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray) -> ROCCurve:
    """ROC curve and AUC of ``scores`` against 0/1 ``y_true``; empty arrays and NaN with one label only."""
    y = np.asarray(y_true, dtype=np.int64).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if not both_labels(y):
        empty = np.zeros(0, dtype=np.float64)
        return ROCCurve(empty, empty, empty, math.nan)
    fpr, tpr, thresholds = skm.roc_curve(y, s)
    return ROCCurve(fpr, tpr, thresholds, roc_auc(y, s))
