"""Frame-by-frame inference: DSA frames pushed one at a time, detections out with a fixed delay.

:class:`FrameSteps` is a config's test pipeline (``ResizeSequence -> NormalizeIntensity ->
NeighbourFrameStack -> PackDSAInputs``) applied to one frame at a time; :class:`SequenceStream` feeds the
prepared neighbour stacks to an :class:`~occlunet.models.detectors.OccluNetStream`. Both paths see the
same network inputs and windows, so a stream gives the result of ``SequenceInferencer.predict`` on the
whole sequence (to float rounding) -- given the sequence's intensity range (see :class:`FrameSteps`).

Delay: network input j (frame j's stack of frames ``j - k .. j + k``) needs frame ``j + k``, and the window
of target frame c needs inputs up to ``c + T - 1 - target_index``; so pushing frame i completes frame
``i - k - (T - 1 - target_index)``: frame i - 2 for OccluNet (k = 1, T = 3, centre target).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.dataset import Compose
from mmengine.structures import InstanceData

from occlunet.datasets.transforms import (
    MinIntensityProjection,
    NeighbourFrameStack,
    NormalizeIntensity,
    PackDSAInputs,
    ResizeSequence,
    resize_planes,
)
from occlunet.models.detectors import OccluNet, OccluNetStream
from occlunet.structures import window_frame_indices

from .output_checks import check_detections, clip_boxes
from .sequence_input import UNKNOWN_VIEW, check_frames

FRAME_DIMS = 2  # (H, W)
STREAM_PIPELINE = 'ResizeSequence -> NormalizeIntensity -> NeighbourFrameStack -> PackDSAInputs'


class StreamingError(ValueError):
    """The config or the call cannot stream (a projection model, a pipeline step that needs the whole
    sequence, a missing intensity range, frames of different size, ...)."""


@dataclass
class FrameSteps:
    """A test pipeline as per-frame steps: resize, intensity stretch, neighbour stack.

    ``NormalizeIntensity`` stretches with percentiles of the *whole* sequence (its documented behaviour:
    one range for every frame, "sequence-consistent"), which a stream cannot know from its first frames.
    A stream therefore takes the range as an argument: :meth:`intensity_range` computes it as the pipeline
    does (frames resized, sampled every ``stats_step`` pixels, ``percentiles`` of all of them), which
    makes the stream equal to the whole-sequence prediction; any other range is an approximation.

    Args:
        resize: the pipeline's ``ResizeSequence``, or None.
        normalize: its ``NormalizeIntensity``, or None.
        neighbours: k of its ``NeighbourFrameStack`` (input j = frames j - k .. j + k).
    """

    resize: ResizeSequence | None
    normalize: NormalizeIntensity | None
    neighbours: int

    @classmethod
    def from_pipeline(cls, pipeline: Compose, owner: str = 'SequenceInferencer') -> FrameSteps:
        """The steps of a test pipeline (after its loader); :class:`StreamingError` when it cannot stream."""
        transforms = list(pipeline.transforms)
        names = ' -> '.join(type(t).__name__ for t in transforms) or 'nothing'
        if any(isinstance(t, MinIntensityProjection) for t in transforms):
            raise StreamingError(
                f'{owner}: the model sees one minimum-intensity projection of the whole sequence '
                '(MinIntensityProjection): it needs every frame before it can predict, so it cannot stream; '
                'use predict() / __call__ on the whole sequence'
            )
        steps = {ResizeSequence: None, NormalizeIntensity: None, NeighbourFrameStack: None}
        order = [ResizeSequence, NormalizeIntensity, NeighbourFrameStack, PackDSAInputs]
        position = 0
        for transform in transforms:
            kind = type(transform)
            if kind not in order[position:]:
                raise StreamingError(
                    f'{owner}: streaming runs the test pipeline {STREAM_PIPELINE} frame by frame (steps '
                    f'optional but in this order, NeighbourFrameStack required); this config has {names}'
                )
            position = order.index(kind) + 1
            if kind in steps:
                steps[kind] = transform
        if steps[NeighbourFrameStack] is None or not isinstance(transforms[-1], PackDSAInputs):
            raise StreamingError(
                f'{owner}: streaming needs NeighbourFrameStack and PackDSAInputs at the end of the test '
                f'pipeline ({STREAM_PIPELINE}); this config has {names}'
            )
        return cls(steps[ResizeSequence], steps[NormalizeIntensity], steps[NeighbourFrameStack].k)

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """(height, width) of a frame after the resize step."""
        if self.resize is None:
            return height, width
        new_w, new_h = self.resize.target_size(width, height)
        return new_h, new_w

    def resized(self, frame: np.ndarray) -> np.ndarray:
        """``ResizeSequence`` on one (1, H, W) frame (untouched at the target size)."""
        height, width = frame.shape[-FRAME_DIMS:]
        new_h, new_w = self.output_size(height, width)
        if (new_h, new_w) == (height, width):
            return frame
        return resize_planes(frame, new_w, new_h)

    def prepared(self, frame: np.ndarray, intensity_range: tuple[float, float] | None) -> np.ndarray:
        """Resize, then stretch with the sequence's ``intensity_range``; (1, H, W) -> (h, w) float32."""
        frame = self.resized(frame)
        if self.normalize is not None:
            low, high = intensity_range
            frame = self.normalize.apply(frame, low, high)
        return frame[0]

    def intensity_range(self, frames: object) -> tuple[float, float] | None:
        """The range ``NormalizeIntensity`` stretches this whole sequence with (None without that step).

        Args:
            frames: the sequence's frames, (H, W) arrays in [0, 1] in any iterable (a (T, H, W) array,
                a generator decoding one frame at a time); only a subsample of each is kept.
        """
        if self.normalize is None:
            return None
        step = self.normalize.stats_step
        samples = [self.resized(check_frame(f))[0, ::step, ::step] for f in frames]
        if not samples:
            raise StreamingError('intensity_range: no frames')
        low, high = np.percentile(np.stack(samples), self.normalize.percentiles).astype(np.float64)
        return float(low), float(high)


def check_frame(frame: object, name: str = 'push') -> np.ndarray:
    """One (H, W) frame in [0, 1] (array or tensor) as a float32 (1, H, W) array; ValueError otherwise."""
    if hasattr(frame, 'detach'):
        frame = frame.detach().cpu().numpy()
    array = np.asarray(frame)
    if array.ndim != FRAME_DIMS:
        raise ValueError(f'{name}: expected one frame of shape (H, W), got shape {array.shape}')
    return check_frames(array[None], name)


class SequenceStream:
    """One sequence being streamed through a :class:`~occlunet.apis.SequenceInferencer`'s model.

    Use through the inferencer (``reset`` / ``push`` / ``finish``), which owns one.

    Args:
        model: the OccluNet detector (eval mode).
        steps: the per-frame pipeline.
        intensity_range: (low, high) of the sequence for ``NormalizeIntensity``.
        path, view, frame_rate: metadata the result reports (as for a DICOM input).
    """

    def __init__(
        self,
        model: OccluNet,
        steps: FrameSteps,
        intensity_range: tuple[float, float] | None,
        path: str | None = None,
        view: str = UNKNOWN_VIEW,
        frame_rate: float | None = None,
    ) -> None:
        self.model = model
        self.steps = steps
        self.intensity_range = intensity_range
        self.info = {'img_path': path, 'view': view, 'frame_rate': frame_rate}
        self.frame_shape: tuple[int, int] | None = None
        self.meta: dict = {}
        self.num_frames = 0  # frames pushed
        self.num_inputs = 0  # network inputs (neighbour stacks) computed
        self._frames: collections.deque[np.ndarray] = collections.deque(maxlen=2 * steps.neighbours + 1)
        self._detector: OccluNetStream | None = None

    def push(self, frame: object) -> dict | None:
        """Add the next frame; the detections of the frame this completes, or None (see the module)."""
        array = check_frame(frame)
        shape = array.shape[1:]
        if self.frame_shape is None:
            self._start(shape)
        elif shape != self.frame_shape:
            raise StreamingError(
                f'push: frame {self.num_frames} has shape {shape}, the sequence started with '
                f'{self.frame_shape}'
            )
        self._frames.append(self.steps.prepared(array, self.intensity_range))
        self.num_frames += 1
        done = []
        if self.num_frames - 1 - self.steps.neighbours >= 0:  # input j = i - k has all its frames
            done = self._push_input(last=None)
        return self._frame_result(*done[-1]) if done else None

    def finish(self) -> DetDataSample:
        """Complete the last frames (end replicate padding) and link: the whole-sequence data sample."""
        if self.num_frames == 0:
            raise StreamingError('finish: no frame was pushed')
        while self.num_inputs < self.num_frames:
            self._push_input(last=self.num_frames - 1)
        self._detector.finish()
        sample = DetDataSample()
        num = self.num_frames
        sample.set_metainfo(
            dict(
                self.meta,
                **self.info,
                frame_id=None,
                frame_ids=list(range(num)),
                num_frames=num,
                num_valid_frames=num,
            )
        )
        return self._detector.result(sample, rescale=True)

    def _start(self, shape: tuple[int, int]) -> None:
        height, width = shape
        new_h, new_w = self.steps.output_size(height, width)
        div = self.model.data_preprocessor.pad_size_divisor
        pad = (-(-new_h // div) * div, -(-new_w // div) * div)
        self.frame_shape = (height, width)
        self.meta = dict(
            ori_shape=(height, width),
            img_shape=(new_h, new_w),
            scale_factor=(new_w / width, new_h / height),
            flip=False,
            flip_direction=None,
            batch_input_shape=pad,
            pad_shape=pad,
        )
        self._detector = OccluNetStream(self.model, self.meta)

    def _push_input(self, last: int | None) -> list[tuple[int, InstanceData]]:
        """Network input j = ``num_inputs`` (the frame window j - k .. j + k, clipped to 0 .. ``last``) to the
        model.

        The deque holds the newest 2k + 1 prepared frames, frame i at position ``i - first``.
        """
        j, k = self.num_inputs, self.steps.neighbours
        first = self.num_frames - len(self._frames)
        newest = self.num_frames - 1 if last is None else last
        ids = window_frame_indices(newest + 1, 2 * k + 1, k, [j])[0] - first  # (2k+1,) deque positions
        stack = torch.from_numpy(np.stack([self._frames[i] for i in ids.tolist()]))  # (2k+1, h, w)
        data = self.model.data_preprocessor({'inputs': [stack[None]], 'data_samples': None})
        self.num_inputs += 1
        return self._detector.push(data['inputs'][0, 0])  # (C, H_pad, W_pad)

    def _frame_result(self, frame: int, detections: InstanceData) -> dict:
        """One frame's detections in DICOM pixels, as an entry of the result's ``detections``: checked
        finite and clipped to the image as the whole-sequence result (:mod:`occlunet.apis.output_checks`)."""
        bboxes = OccluNet._to_original(detections.bboxes, self.meta).float().cpu().numpy()
        scores = detections.scores.float().cpu().numpy()
        check_detections(bboxes, scores, np.full(len(scores), frame))
        height, width = self.frame_shape
        return dict(
            frame_id=frame,
            bboxes=clip_boxes(bboxes, height, width).tolist(),
            scores=[float(s) for s in scores.tolist()],
            labels=[int(label) for label in detections.labels.cpu().tolist()],
        )
