"""Frame-by-frame OccluNet inference: each input's features computed once, only the last T kept."""

from __future__ import annotations

import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from torch import Tensor

from ...structures import window_frame_indices
from .occlunet import OccluNet


class OccluNetStream:
    """Feed an :class:`OccluNet` one network input (one frame's neighbour stack) at a time.

    The backbone and PAFPN run once per input; their features go into a ring buffer of the last T inputs
    (T = ``model.num_frames``), not the whole sequence. After input j is pushed, the window of target
    frame ``c = j - (T - 1 - target_index)`` is complete (its frames ``c - target_index ..
    c + T - 1 - target_index`` are at most j; first-frame replicate padding below 0), so :meth:`push`
    returns the detections of frame c: with the centre target of T = 3, pushing input j gives frame j - 1.
    :meth:`finish` completes the last ``T - 1 - target_index`` frames with the last input replicated, and
    :meth:`result` links the detections as :meth:`OccluNet.predict_sequence` does; both paths give the
    same windows, so the same detections and tracks.

    Args:
        model: the detector, in eval mode (call the stream under ``torch.inference_mode()``).
        meta: the metainfo of the sequence for the head and the mapping to DICOM pixels (``img_shape``,
            ``scale_factor``, ``flip``, ``flip_direction``), as a whole-sequence sample has it.

    Shape:
        push(inputs): (C, H, W) or (1, C, H, W), one preprocessed network input (as the data preprocessor
        gives it) -> list of (frame index, ``InstanceData`` in network-input pixels), 0 or 1 entries.
    """

    def __init__(self, model: OccluNet, meta: dict) -> None:
        self.model = model
        self.meta = dict(meta)
        self.num_frames = model.num_frames
        self.target_index = model.temporal_neck.target_index
        self.lookahead = self.num_frames - 1 - self.target_index  # frames after the target in a window
        self.num_inputs = 0
        self.next_target = 0
        self.per_frame: list[InstanceData] = []  # network-input pixels, frame i = entry i
        self._ring: list[Tensor] | None = None  # per level (T, C_l, H_l, W_l); input j in slot j % T

    def push(self, inputs: Tensor) -> list[tuple[int, InstanceData]]:
        """Features of the next input; the detections of the frame whose window it completes."""
        if inputs.dim() == 3:
            inputs = inputs[None]
        if inputs.dim() != 4 or inputs.shape[0] != 1:
            raise ValueError(f'OccluNetStream: expected one input (C, H, W), got shape {tuple(inputs.shape)}')
        feats = self.model.frame_features(inputs)  # per level (1, C_l, H_l, W_l)
        if self._ring is None:
            self._ring = [_empty_like_frames(f, self.num_frames) for f in feats]
        slot = self.num_inputs % self.num_frames
        for ring, f in zip(self._ring, feats):
            ring[slot] = f[0]
        self.num_inputs += 1
        return self._emit(final=False)

    def finish(self) -> list[tuple[int, InstanceData]]:
        """The detections of the frames still waiting for later inputs (end replicate padding)."""
        if self.num_inputs == 0:
            raise ValueError('OccluNetStream: finish() before any input was pushed')
        return self._emit(final=True)

    def result(self, data_sample: DetDataSample, rescale: bool = True) -> DetDataSample:
        """``pred_instances`` and ``pred_tracks`` of the whole sequence (after :meth:`finish`)."""
        if self.next_target != self.num_inputs or self.num_inputs == 0:
            raise ValueError(
                f'OccluNetStream: {self.num_inputs - self.next_target} frame(s) are not complete: '
                'call finish() first'
            )
        return self.model.sequence_prediction(self.per_frame, data_sample, rescale=rescale)

    def _emit(self, final: bool) -> list[tuple[int, InstanceData]]:
        """Detect every target frame whose window is complete (all of them when ``final``)."""
        last = self.num_inputs - 1
        ready = last if final else last - self.lookahead
        out = []
        while self.next_target <= ready:
            frame = self.next_target
            device = self._ring[0].device
            window = window_frame_indices(last + 1, self.num_frames, self.target_index, [frame], device)
            index = window % self.num_frames  # (1, T) ring slots
            feats = self.model.temporal_neck.forward_index(self._ring, index)  # per level (1, C_l, H_l, W_l)
            detections = self.model.detect(feats, self.meta)[0]
            self.per_frame.append(detections)
            out.append((frame, detections))
            self.next_target += 1
        return out


def _empty_like_frames(feat: Tensor, num: int) -> Tensor:
    """An uninitialised (num, C, H, W) buffer in the memory format of ``feat`` (1, C, H, W)."""
    channels_last = feat.is_contiguous(memory_format=torch.channels_last) and not feat.is_contiguous()
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    return torch.empty((num, *feat.shape[1:]), dtype=feat.dtype, device=feat.device, memory_format=fmt)
