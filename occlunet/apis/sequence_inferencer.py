"""Whole-sequence inference with a trained OccluNet (or MinIP baseline) config, without annotations.

>>> cfg, ckpt = 'configs/occlunet1_dsa_tiny.py', 'work_dirs/o1_tiny/iter_600.pth'
>>> inferencer = SequenceInferencer(cfg, ckpt)  # doctest: +SKIP
>>> result = inferencer('run.dcm')  # doctest: +SKIP
>>> result['occlusion'], result['best_track']['bbox'], result['class_name']  # doctest: +SKIP
(True, [201.3, 144.0, 231.9, 170.2], 'occlusion')

The steps are separate methods, so other front ends (a GUI) can reuse them:
``load(input) -> SequenceInput`` (decode a DICOM / wrap an array), ``preprocess(sequence) -> data`` (the
config's test pipeline after its ``LoadDSASequence``, collated as a batch of one), ``forward(data) ->
DetDataSample`` (``model.test_step``: data preprocessor + ``predict``) and ``postprocess(sample) -> dict``
(:func:`~occlunet.apis.sequence_result.sequence_result`, whose docstring lists the keys).

Frame by frame (OccluNet configs; not the MinIP baseline, which needs the whole sequence):

>>> inferencer.reset(intensity_range=inferencer.intensity_range(frames))  # doctest: +SKIP
>>> for frame in frames:  # doctest: +SKIP
...     detections = inferencer.push(frame)  # frame i -> frame i - 2's detections (None for i < 2)
>>> result = inferencer.finish()  # doctest: +SKIP

``push`` returns one frame's detections (an entry of the result's ``detections``) as soon as its window is
complete, and ``finish`` the same result as ``predict`` on the whole sequence (to float rounding), keeping
only the last frames and their features in memory (see :mod:`occlunet.apis.sequence_stream`).
"""

from __future__ import annotations

import copy
import logging
import os
from typing import Any

import numpy as np
import torch
from mmdet.registry import MODELS, TRANSFORMS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.logging import print_log
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

from occlunet.datasets.annotations import DSA_CATEGORIES, SINGLE_CLASS
from occlunet.datasets.transforms import LoadDSASequence
from occlunet.models.detectors import OccluNet
from occlunet.models.layers import fuse_for_inference

from .output_checks import OutputGuard, bound_sample, sample_groups
from .sequence_input import (
    UNKNOWN_VIEW,
    SequenceInput,
    from_array,
    from_dsa_sequence,
    load_results,
    load_sequence,
)
from .sequence_result import DEFAULT_SCORE_THR, evaluator_score_thr, sequence_result
from .sequence_stream import FrameSteps, SequenceStream, StreamingError


class SequenceInferencer:
    """Predict occlusions on whole DSA sequences (DICOM files or arrays) with a config and a checkpoint.

    The model and the test pipeline come from the config (``model``, ``test_dataloader.dataset.pipeline``,
    which must start with ``LoadDSASequence``). Each input is one whole sequence, fed to the pipeline as a
    whole-sequence ``DSAVideoDataset`` sample without annotations (``frame_id`` None, every frame), so the
    model returns per-frame detections and linked tracks in DICOM pixels. Every reported box is clipped to the
    image, and NaN / inf model outputs (a diverged checkpoint) raise ``NonFiniteOutputError`` naming the
    frame (:mod:`occlunet.apis.output_checks`).

    Args:
        config: config file path or ``mmengine.Config`` (copied).
        checkpoint: weights (``load_checkpoint``, strict; the project's weights-only loader); None keeps
            the random initial weights (a warning is logged; for tests only).
        device: torch device, e.g. ``'cpu'`` or ``'cuda:0'``.
        score_thr: minimum track confidence (mean detection confidence) of a finding; None: the
            ``score_thr`` of the config's ``test_evaluator``, else 0.01.
        cfg_options: overrides merged into the config (``Config.merge_from_dict`` keys, e.g.
            ``{'test_dataloader.dataset.pipeline.1.scale': (64, 64)}``).
        fuse: prepare the model for inference only (``fuse_for_inference``: BN folded into the
            convolutions, fused SiLU, cascaded SPP pools, channels-last weights, backbone and neck as
            frozen TorchScript traces on CPU): the same predictions to float rounding, faster (YOLOX-S
            and OccluNet about 1.3x on a 2-core CPU); the model can no longer be trained.

    Attributes:
        cfg, model (eval mode), pipeline (the test pipeline after its loader), classes, score_thr,
        load_limits (``max_frames`` / ``max_pixels`` of the config's ``LoadDSASequence``),
        frame_steps (the pipeline frame by frame, None when the config cannot stream), stream_error (why
        not, else None), guard (the ``OutputGuard`` on the model's head).
    """

    def __init__(
        self,
        config: str | os.PathLike | Config,
        checkpoint: str | os.PathLike | None = None,
        device: str | torch.device = 'cpu',
        score_thr: float | None = None,
        cfg_options: dict | None = None,
        fuse: bool = True,
    ) -> None:
        if score_thr is not None and not 0.0 <= score_thr <= 1.0:
            raise ValueError(f'SequenceInferencer: score_thr must be in [0, 1], got {score_thr}')
        cfg = copy.deepcopy(config) if isinstance(config, Config) else Config.fromfile(os.fspath(config))
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        self.cfg = cfg
        self.device = torch.device(device)
        scope = cfg.get('default_scope', 'mmdet')
        with DefaultScope.overwrite_default_scope(scope):
            loader, self.pipeline = self._build_pipeline(cfg)
            self.model = MODELS.build(cfg.model)
        checkpoint_meta: dict = {}
        if checkpoint is None:
            print_log(
                'SequenceInferencer: no checkpoint, the model keeps its random initial weights',
                level=logging.WARNING,
            )
        else:
            ckpt = load_checkpoint(self.model, os.fspath(checkpoint), map_location='cpu', strict=True)
            checkpoint_meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
        self.model.cfg = cfg
        self.model.to(self.device).eval()
        if fuse:
            fuse_for_inference(self.model)
        self.guard = OutputGuard(self.model)
        self.load_limits = {'max_frames': loader.max_frames, 'max_pixels': loader.max_pixels}
        self.classes = self._class_names(cfg, checkpoint_meta)
        if score_thr is None:
            score_thr = evaluator_score_thr(cfg)
        self.score_thr = DEFAULT_SCORE_THR if score_thr is None else float(score_thr)
        self.frame_steps: FrameSteps | None = None
        self.stream_error: str | None = None
        try:
            if not isinstance(self.model, OccluNet):
                raise StreamingError(
                    f'SequenceInferencer: streaming needs an OccluNet model, the config builds '
                    f'{type(self.model).__name__}'
                )
            self.frame_steps = FrameSteps.from_pipeline(self.pipeline)
        except StreamingError as exc:
            self.stream_error = str(exc)
        self._stream: SequenceStream | None = None

    # -- set-up ------------------------------------------------------------------------------------
    @staticmethod
    def _dataset_cfg(cfg: Config) -> dict:
        dataset = cfg.get('test_dataloader', {}).get('dataset')
        if dataset is None or dataset.get('pipeline') is None:
            raise ValueError('SequenceInferencer: the config has no test_dataloader.dataset.pipeline')
        return dataset

    def _build_pipeline(self, cfg: Config) -> tuple[LoadDSASequence, Compose]:
        """The config's test pipeline split into its ``LoadDSASequence`` and the transforms after it."""
        transforms = [
            TRANSFORMS.build(t) if isinstance(t, dict) else t for t in self._dataset_cfg(cfg)['pipeline']
        ]
        if not transforms or not isinstance(transforms[0], LoadDSASequence):
            first = type(transforms[0]).__name__ if transforms else 'nothing'
            raise ValueError(
                f'SequenceInferencer: the test pipeline must start with LoadDSASequence, it starts with '
                f'{first} (not a DSA sequence config?)'
            )
        return transforms[0], Compose(transforms[1:])

    def _class_names(self, cfg: Config, checkpoint_meta: dict) -> tuple[str, ...]:
        """The test dataset's classes as ``DSAVideoDataset`` sets them: ``('occlusion',)`` with
        ``single_class``, else its ``metainfo.classes``, else the checkpoint's ``dataset_meta``, else the
        five DSA categories."""
        dataset = self._dataset_cfg(cfg)
        if dataset.get('single_class', False):
            return SINGLE_CLASS
        classes = (dataset.get('metainfo') or {}).get('classes')
        if classes is None:
            classes = (checkpoint_meta.get('dataset_meta') or {}).get('classes')
        return tuple(classes) if classes is not None else DSA_CATEGORIES

    # -- the steps ---------------------------------------------------------------------------------
    def load(self, item: Any) -> SequenceInput:
        """A DICOM path (decoded with the config's loader limits), a (T, H, W) float array / tensor in
        [0, 1], a ``DSASequence`` or a ``SequenceInput`` (returned as is) as a :class:`SequenceInput`."""
        if isinstance(item, SequenceInput):
            return item
        if isinstance(item, str | os.PathLike):
            return load_sequence(item, **self.load_limits)
        if hasattr(item, 'frames') and hasattr(item, 'view'):  # occlunet.dicom.DSASequence
            return from_dsa_sequence(item)
        if isinstance(item, np.ndarray) or torch.is_tensor(item):
            return from_array(item)
        raise TypeError(
            f'SequenceInferencer: expected a DICOM path or a (T, H, W) array in [0, 1], got {type(item)}'
        )

    def preprocess(self, sequence: SequenceInput) -> dict:
        """The test pipeline (after its loader) on one whole sequence, collated as a batch of one:
        ``{'inputs': [Tensor (T, C, H, W)], 'data_samples': [DetDataSample]}``."""
        packed = self.pipeline(load_results(sequence))
        if packed is None:
            raise RuntimeError('SequenceInferencer: the test pipeline dropped the sample')
        return pseudo_collate([packed])

    def forward(self, data: dict) -> DetDataSample:
        """``model.test_step`` (data preprocessor, then ``predict`` in DICOM pixels) on one sequence;
        ``NonFiniteOutputError`` naming the frame when the head outputs NaN / inf (``self.guard``)."""
        samples, inputs = data.get('data_samples') or [], data.get('inputs') or []
        one = len(samples) == 1 and len(inputs) == 1
        self.guard.start(sample_groups(samples[0].metainfo, len(inputs[0])) if one else None)
        with torch.inference_mode():
            return self.model.test_step(data)[0]

    def postprocess(self, sample: DetDataSample) -> dict:
        """The plain-data result (keys: :mod:`occlunet.apis.sequence_result`), every box clipped to the
        image and non-finite detections refused (:func:`~occlunet.apis.output_checks.bound_sample`)."""
        return sequence_result(bound_sample(sample), self.classes, self.score_thr)

    def predict(self, item: Any) -> dict:
        """load -> preprocess -> forward -> postprocess for one input."""
        return self.postprocess(self.forward(self.preprocess(self.load(item))))

    # -- frame by frame ----------------------------------------------------------------------------
    @property
    def can_stream(self) -> bool:
        """Whether ``reset`` / ``push`` / ``finish`` work with this config (see ``stream_error``)."""
        return self.frame_steps is not None

    def _steps(self) -> FrameSteps:
        if self.frame_steps is None:
            raise StreamingError(self.stream_error)
        return self.frame_steps

    def intensity_range(self, frames: Any) -> tuple[float, float] | None:
        """The (low, high) ``NormalizeIntensity`` stretches these whole-sequence frames with, computed as the
        test pipeline does (None when it has no such step). ``frames``: any iterable of (H, W) frames."""
        return self._steps().intensity_range(frames)

    def reset(
        self,
        intensity_range: tuple[float, float] | None = None,
        *,
        path: str | os.PathLike | None = None,
        view: str = UNKNOWN_VIEW,
        frame_rate: float | None = None,
    ) -> None:
        """Start a new sequence (dropping an unfinished one).

        Args:
            intensity_range: (low, high) of the whole sequence for the pipeline's ``NormalizeIntensity``,
                which stretches every frame with percentiles of all frames: :meth:`intensity_range` gives
                it (streamed results then equal :meth:`predict`); any other range approximates. Required
                when the pipeline normalises.
            path, view, frame_rate: reported in the result (``file``, ``view``, ``frame_rate``).
        """
        steps = self._steps()
        if steps.normalize is not None:
            if intensity_range is None:
                raise StreamingError(
                    'SequenceInferencer.reset: the test pipeline stretches each sequence with the '
                    f'{steps.normalize.percentiles} percentiles of all its frames (NormalizeIntensity), so a '
                    'stream needs that range up front: reset(intensity_range=inferencer.intensity_range('
                    'frames)) (exact), or a fixed (low, high) of your choice (an approximation)'
                )
            low, high = (float(v) for v in intensity_range)
            if not (np.isfinite(low) and np.isfinite(high) and low <= high):
                raise StreamingError(
                    f'SequenceInferencer.reset: intensity_range must be finite (low, high) with low <= high, '
                    f'got {intensity_range}'
                )
            intensity_range = (low, high)
        self.guard.start()
        self._stream = SequenceStream(
            self.model,
            steps,
            intensity_range,
            path=None if path is None else os.fspath(path),
            view=view,
            frame_rate=frame_rate,
        )

    def push(self, frame: Any) -> dict | None:
        """Add the next frame ((H, W) array or tensor in [0, 1], DICOM pixels) of the current sequence.

        Returns the detections of the frame whose window this frame completes (``frame_id``, ``bboxes``
        xyxy in DICOM pixels, ``scores``, ``labels``; as in the result's ``detections``), or None while the
        first frames wait for their neighbours: frame i gives frame ``i - k - (T - 1 - T // 2)``, i - 2 for
        OccluNet (a neighbour stack of k = 1 around each frame, then a centred window of T = 3 stacks).
        """
        if self._stream is None:
            raise StreamingError(
                'SequenceInferencer.push: no sequence started: call reset(intensity_range=...) first'
            )
        with torch.inference_mode():
            return self._stream.push(frame)

    def finish(self) -> dict:
        """Complete the last frames (replicate padding at the end, as the whole-sequence path), link the
        tracks and return the result (the keys of :meth:`predict`); the next ``push`` needs a ``reset``."""
        if self._stream is None:
            raise StreamingError('SequenceInferencer.finish: no sequence started: call reset() first')
        stream, self._stream = self._stream, None
        with torch.inference_mode():
            return self.postprocess(stream.finish())

    def predict_stream(self, item: Any) -> dict:
        """:meth:`predict` frame by frame: load, then ``reset`` with the sequence's intensity range, ``push``
        every frame and ``finish``. Equal to ``predict(item)`` to float rounding; memory holds the decoded
        frames and only the last frames' network inputs and features."""
        sequence = self.load(item)
        self.reset(
            self.intensity_range(sequence.frames),
            path=sequence.path,
            view=sequence.view,
            frame_rate=sequence.frame_rate,
        )
        for frame in sequence.frames:
            self.push(frame)
        return self.finish()

    def __call__(self, inputs: Any) -> dict | list[dict]:
        """One result dict for one input (path, array, ...), a list of them for a list/tuple of inputs."""
        if isinstance(inputs, list | tuple):
            return [self.predict(item) for item in inputs]
        return self.predict(inputs)
