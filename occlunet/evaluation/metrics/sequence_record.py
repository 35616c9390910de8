"""One whole-sequence prediction reduced to plain python data: GT boxes and tracks in DICOM pixels.

:func:`sequence_record` turns the data sample a detector's ``predict`` returns for a whole sequence (a
``DetDataSample`` or the dict mmengine's ``Evaluator`` makes of it with ``to_dict()``) into a dict of
plain python values, safe to pickle across ranks and to write as JSON:

``video_id``, ``file_name``, ``img_path``: from the metainfo (None when absent).
``ori_shape``: [H0, W0] of the DICOM.
``gt_bboxes``: [[x1, y1, x2, y2], ...] in DICOM pixels: the packed input-pixel boxes with the flip undone
    (in the ``img_shape`` frame) and divided by ``scale_factor`` (the contract of ``PackDSAInputs``).
``gt_labels``: [int, ...], one per GT box.
``gt_label``: the sequence label (0/1) or None when the sample has none.
``tracks``: one dict per predicted track, best first (score descending, then first frame, then
    ``track_id``, then list order: :func:`~occlunet.evaluation.verdict.sort_tracks`): ``frame_ids``,
    ``bbox`` (xyxy, DICOM pixels, the confidence-weighted mean box), ``label``, ``score`` (sum of
    confidences times duration), ``confidence`` (mean detection confidence), ``track_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from mmengine.structures import BaseDataElement

from occlunet.structures.boxes import FLIP_AXES, input_to_dicom_boxes

from ..verdict import sort_tracks

BOX_DIM = 4
TRACK_KEYS = ('frame_ids', 'bbox', 'label', 'score', 'scores')


def to_numpy(value: Any) -> np.ndarray:
    """A numpy copy of a tensor, an mmdet ``BaseBoxes`` (its ``.tensor``), an array or a list."""
    value = getattr(value, 'tensor', value)  # mmdet HorizontalBoxes
    if hasattr(value, 'detach'):  # torch.Tensor
        value = value.detach().cpu().numpy()
    return np.array(value)


def get_field(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` for a mapping, ``obj.name`` otherwise (InstanceData, DetDataSample, Track)."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def describe(sample: Mapping) -> str:
    """``video_id=7 (dicom/S0003_LAT.dcm)`` for error messages."""
    name = sample.get('file_name') or sample.get('img_path')
    return f'video_id={sample.get("video_id")}' + (f' ({name})' if name else '')


def gt_boxes_in_dicom(sample: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """GT boxes (M, 4) xyxy in DICOM pixels and labels (M,): flip undone, then ``/ scale_factor``."""
    instances = sample.get('gt_instances')
    if instances is None:
        raise ValueError(f'SequenceDetectionMetric: data sample of {describe(sample)} has no gt_instances')
    bboxes = get_field(instances, 'bboxes')
    labels = get_field(instances, 'labels')
    bboxes = np.zeros((0, BOX_DIM)) if bboxes is None else to_numpy(bboxes).astype(np.float64)
    bboxes = bboxes.reshape(-1, BOX_DIM)
    labels = np.zeros(0, dtype=np.int64) if labels is None else to_numpy(labels).astype(np.int64).reshape(-1)
    if len(labels) != len(bboxes):
        raise ValueError(
            f'SequenceDetectionMetric: {describe(sample)}: gt_instances has {len(bboxes)} bboxes but '
            f'{len(labels)} labels'
        )
    direction = sample.get('flip_direction') if sample.get('flip') else None
    if direction is not None and direction not in FLIP_AXES:
        raise ValueError(f'SequenceDetectionMetric: {describe(sample)}: unknown flip_direction {direction!r}')
    bboxes = input_to_dicom_boxes(bboxes, sample.get('img_shape'), direction, sample.get('scale_factor'))
    return bboxes, labels


def track_entry(track: Any, sample: Mapping) -> dict:
    """A ``Track`` or its ``to_dict()`` as plain python values, plus ``confidence``."""
    entry = track.to_dict() if hasattr(track, 'to_dict') else track
    if not isinstance(entry, Mapping):
        raise TypeError(
            f'SequenceDetectionMetric: {describe(sample)}: pred_tracks must hold Track objects or dicts, '
            f'got {type(track)}'
        )
    missing = [key for key in TRACK_KEYS if key not in entry]
    if missing:
        raise ValueError(f'SequenceDetectionMetric: {describe(sample)}: a pred_tracks entry lacks {missing}')
    scores = to_numpy(entry['scores']).astype(np.float64).reshape(-1)
    bbox = to_numpy(entry['bbox']).astype(np.float64).reshape(-1)
    if len(scores) == 0 or bbox.shape != (BOX_DIM,):
        raise ValueError(
            f'SequenceDetectionMetric: {describe(sample)}: a track needs >= 1 score and a (4,) bbox, got '
            f'{len(scores)} scores and bbox shape {bbox.shape}'
        )
    return dict(
        frame_ids=[int(f) for f in to_numpy(entry['frame_ids']).reshape(-1)],
        bbox=[float(v) for v in bbox],
        label=int(entry['label']),
        score=float(entry['score']),
        confidence=float(scores.mean()),
        track_id=int(entry.get('track_id', -1)),
    )


def sequence_record(sample: Any) -> dict:
    """The plain-python record of one whole-sequence data sample (see the module docstring).

    Raises:
        ValueError: ``pred_tracks`` or ``ori_shape`` is missing, or a field is malformed; the message
            names the field and the video.
    """
    if isinstance(sample, BaseDataElement):
        sample = sample.to_dict()
    if not isinstance(sample, Mapping):
        raise TypeError(f'SequenceDetectionMetric: expected a DetDataSample or dict, got {type(sample)}')
    tracks = sample.get('pred_tracks')
    if tracks is None:
        raise ValueError(
            f"SequenceDetectionMetric: data sample of {describe(sample)} has no 'pred_tracks': the metric "
            'needs whole-sequence predictions (test mode, num_frames=None) from a detector with a tracker'
        )
    ori_shape = sample.get('ori_shape')
    if ori_shape is None:
        raise ValueError(f"SequenceDetectionMetric: data sample of {describe(sample)} has no 'ori_shape'")
    bboxes, labels = gt_boxes_in_dicom(sample)
    gt_label = sample.get('gt_label')
    if gt_label is not None:
        gt_label = int(to_numpy(gt_label).reshape(-1)[0])
        if gt_label != int(len(bboxes) > 0):
            raise ValueError(
                f'SequenceDetectionMetric: {describe(sample)}: gt_label={gt_label} disagrees with its '
                f'{len(bboxes)} GT box(es)'
            )
    video_id = sample.get('video_id')
    return dict(
        video_id=int(video_id) if isinstance(video_id, int | np.integer) else video_id,
        file_name=sample.get('file_name'),
        img_path=sample.get('img_path'),
        ori_shape=[int(v) for v in tuple(ori_shape)[:2]],
        gt_bboxes=bboxes.tolist(),
        gt_labels=labels.tolist(),
        gt_label=gt_label,
        tracks=sort_tracks([track_entry(t, sample) for t in tracks]),
    )
