"""The detection outcome of one sequence (TP / FN / FP / TN) from its best track and its GT boxes."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


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
