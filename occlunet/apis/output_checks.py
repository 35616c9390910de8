"""Model outputs checked and bounded before anything uses them.

Two ways an early or diverged checkpoint breaks inference without this module:

- **Non-finite outputs.** NaN weights give NaN scores, which the head's score threshold drops silently
  (``NaN >= thr`` is False): the run would read as "no occlusion". :class:`OutputGuard` checks the
  detection head's raw outputs (a forward hook) and :func:`bound_sample` the decoded detections; either
  raises :class:`NonFiniteOutputError` naming the frame, one clear per-file error.
- **Boxes far outside the image.** An untrained box regression decodes to boxes of 10⁹ pixels and more,
  which overflow the int32 coordinates of drawing and export. Every reported box (the per-frame detections,
  each track's boxes and so its confidence-weighted mean box, hence the finding) is clipped to the image
  (:func:`clip_boxes`): ``0 <= x1 <= x2 <= W``, ``0 <= y1 <= y2 <= H`` in DICOM pixels. The model links
  tracks on its own box centres before the clip (clipping a box that crosses the border moves its centre;
  boxes inside the image are unchanged).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from occlunet.evaluation.metrics.sequence_record import get_field, to_numpy
from occlunet.models.trackers import Track

from .sequence_result import BOX_DIM, input_frame_groups

# what each output of YOLOXHead.forward (cls_scores, bbox_preds, objectnesses) becomes, in messages
HEAD_OUTPUTS = ('scores', 'boxes', 'scores')
DIVERGED_HINT = 'is the checkpoint diverged or untrained?'


class NonFiniteOutputError(RuntimeError):
    """The model produced NaN or inf at some frame of a sequence (typically a diverged checkpoint)."""

    def __init__(self, what: str, where: str) -> None:
        super().__init__(f'model produced non-finite {what} at {where} — {DIVERGED_HINT}')
        self.what = what
        self.where = where


def input_name(index: int, groups: Sequence[Sequence[int]] | None = None) -> str:
    """The frames a model input shows, for messages: ``'frame 3'`` (0-based, as findings' ``frame_ids``) or
    ``'the projection of frames 0-7'`` (one image for the whole sequence, the MinIP baseline).

    Args:
        index: the model input's position in the sequence.
        groups: per model input its sequence frames (``sequence_result.input_frame_groups``); None: input
            i is frame i.
    """
    if groups is None or not 0 <= index < len(groups):
        return f'frame {index}'
    frames = list(groups[index])
    if len(frames) == 1:
        return f'frame {frames[0]}'
    return f'the projection of frames {frames[0]}-{frames[-1]}'


def first_non_finite(rows: torch.Tensor | np.ndarray) -> int | None:
    """Index of the first row holding a NaN or inf (None when all are finite).

    Shape:
        rows: (N, ...) -> int in [0, N) or None
    """
    if torch.is_tensor(rows):
        bad = ~torch.isfinite(rows.detach()).reshape(len(rows), -1).all(dim=1)
        return int(bad.nonzero()[0, 0]) if bool(bad.any()) else None
    bad = ~np.isfinite(np.asarray(rows, dtype=np.float64)).reshape(len(rows), -1).all(axis=1)
    return int(np.flatnonzero(bad)[0]) if bad.any() else None


def clip_boxes(bboxes: np.ndarray | Sequence[Sequence[float]], height: int, width: int) -> np.ndarray:
    """xyxy boxes clipped to a ``height`` x ``width`` image: x in [0, width], y in [0, height].

    Shape:
        bboxes: (N, 4) -> (N, 4) float64
    """
    boxes = np.asarray(bboxes, dtype=np.float64).reshape(-1, BOX_DIM).copy()
    boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0.0, float(width))
    boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0.0, float(height))
    return boxes


def sample_groups(meta: dict, num_inputs: int | None = None) -> list[list[int]] | None:
    """Per model input its sequence frames, from a whole-sequence sample's metainfo (``frame_ids``, and
    ``num_valid_frames`` unless ``num_inputs`` is given) as ``sequence_result`` reads them; None when the
    metainfo has no frames."""
    frame_ids = meta.get('frame_ids') or list(range(int(meta.get('num_frames') or 0)))
    if not frame_ids:
        return None
    if num_inputs is None:
        num_inputs = int(meta.get('num_valid_frames') or len(frame_ids))
    return input_frame_groups(num_inputs, frame_ids)


def check_detections(
    bboxes: np.ndarray,
    scores: np.ndarray,
    inputs: np.ndarray,
    groups: Sequence[Sequence[int]] | None = None,
) -> None:
    """Raise :class:`NonFiniteOutputError` at the first detection with a non-finite score or box.

    Args:
        bboxes: decoded boxes, (N, 4).
        scores: their scores, (N,).
        inputs: the model input (frame) of each detection, (N,).
        groups: as for :func:`input_name`.
    """
    for what, values in (('scores', scores), ('boxes', bboxes)):
        row = first_non_finite(np.asarray(values, dtype=np.float64).reshape(len(inputs), -1))
        if row is not None:
            raise NonFiniteOutputError(what, input_name(int(inputs[row]), groups))


def bound_sample(sample: Any) -> Any:
    """Check and clip a whole-sequence prediction in place (DICOM pixels, before ``sequence_result``).

    Raises :class:`NonFiniteOutputError` for a non-finite detection, then clips ``pred_instances.bboxes``
    and every ``pred_tracks`` track's boxes (so its mean box) to the sample's ``ori_shape``.

    Returns:
        ``sample``.
    """
    meta = sample.metainfo
    instances = sample.get('pred_instances')
    bboxes = None if instances is None else get_field(instances, 'bboxes')
    groups = sample_groups(meta)
    if bboxes is not None and len(bboxes) > 0:
        boxes = to_numpy(bboxes).astype(np.float64).reshape(-1, BOX_DIM)
        scores = to_numpy(get_field(instances, 'scores')).astype(np.float64).reshape(-1)
        inputs = get_field(instances, 'frame_ids')
        inputs = np.zeros(len(boxes), np.int64) if inputs is None else to_numpy(inputs).reshape(-1)
        check_detections(boxes, scores, inputs, groups)
    ori_shape = meta.get('ori_shape')
    if ori_shape is None:
        return sample
    height, width = (int(v) for v in tuple(ori_shape)[:2])
    if bboxes is not None and len(bboxes) > 0:
        clipped = clip_boxes(to_numpy(bboxes), height, width)
        instances.bboxes = torch.as_tensor(clipped, dtype=bboxes.dtype, device=bboxes.device)
    tracks = sample.get('pred_tracks')
    if tracks:
        clipped_tracks = [
            dataclasses.replace(t, bboxes=clip_boxes(t.bboxes, height, width)) if isinstance(t, Track) else t
            for t in tracks
        ]
        sample.set_field(clipped_tracks, 'pred_tracks')
    return sample


class OutputGuard:
    """Checks a detector's raw head outputs for NaN / inf, frame by frame (a forward hook on ``bbox_head``).

    Both OccluNet paths run the head on target frames in sequence order (chunks of frames for a whole
    sequence, one frame per call when streaming), so the guard counts head rows since :meth:`start` to name
    the frame. The hook raises :class:`NonFiniteOutputError` out of the model call.

    Args:
        model: a detector with a ``bbox_head`` whose forward returns lists of per-level (k, C, H, W)
            tensors (``YOLOXHead``: cls_scores, bbox_preds, objectnesses); without one the guard does
            nothing.
    """

    def __init__(self, model: nn.Module) -> None:
        self.rows_seen = 0
        self.groups: Sequence[Sequence[int]] | None = None
        head = getattr(model, 'bbox_head', None)
        self.handle = head.register_forward_hook(self._check) if isinstance(head, nn.Module) else None

    def start(self, groups: Sequence[Sequence[int]] | None = None) -> None:
        """A new sequence begins; ``groups``: as for :func:`input_name` (None: head row i is frame i)."""
        self.rows_seen = 0
        self.groups = groups

    def remove(self) -> None:
        """Detach the hook."""
        if self.handle is not None:
            self.handle.remove()
            self.handle = None

    def _check(self, module: nn.Module, args: Any, outputs: Any) -> None:
        outputs = outputs if isinstance(outputs, tuple | list) else (outputs,)
        num_rows = 0
        first: tuple[int, str] | None = None  # (row, what) of the earliest non-finite row
        for what, levels in zip(HEAD_OUTPUTS, outputs):
            for level in levels if isinstance(levels, tuple | list) else (levels,):
                if not torch.is_tensor(level) or level.dim() == 0:
                    continue
                num_rows = max(num_rows, len(level))
                row = first_non_finite(level)
                if row is not None and (first is None or row < first[0]):
                    first = (row, what)
        if first is not None:
            raise NonFiniteOutputError(first[1], input_name(self.rows_seen + first[0], self.groups))
        self.rows_seen += num_rows
