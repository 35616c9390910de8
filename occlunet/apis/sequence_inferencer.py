"""Whole-sequence inference with a trained OccluNet (or MinIP baseline) config, without annotations.

>>> cfg, ckpt = 'configs/occlunet1_dsa_tiny.py', 'work_dirs/o1_tiny/iter_600.pth'
>>> inferencer = SequenceInferencer(cfg, ckpt)  # doctest: +SKIP
>>> result = inferencer('run.dcm')  # doctest: +SKIP
>>> result['occlusion'], result['best_track']['bbox'], result['class_name']  # doctest: +SKIP
(True, [201.3, 144.0, 231.9, 170.2], 'occlusion')

The steps are separate methods, so other front ends (a frame-by-frame stream, a GUI) can reuse them:
``load(input) -> SequenceInput`` (decode a DICOM / wrap an array), ``preprocess(sequence) -> data`` (the
config's test pipeline after its ``LoadDSASequence``, collated as a batch of one), ``forward(data) ->
DetDataSample`` (``model.test_step``: data preprocessor + ``predict``) and ``postprocess(sample) -> dict``
(:func:`~occlunet.apis.sequence_result.sequence_result`, whose docstring lists the keys).
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

from .sequence_input import SequenceInput, from_array, from_dsa_sequence, load_results, load_sequence
from .sequence_result import DEFAULT_SCORE_THR, evaluator_score_thr, sequence_result


class SequenceInferencer:
    """Predict occlusions on whole DSA sequences (DICOM files or arrays) with a config and a checkpoint.

    The model and the test pipeline come from the config (``model``, ``test_dataloader.dataset.pipeline``,
    which must start with ``LoadDSASequence``). Each input is one whole sequence, fed to the pipeline as a
    whole-sequence ``DSAVideoDataset`` sample without annotations (``frame_id`` None, every frame), so the
    model returns per-frame detections and linked tracks in DICOM pixels.

    Args:
        config: config file path or ``mmengine.Config`` (copied).
        checkpoint: weights (``load_checkpoint``, strict; the project's weights-only loader); None keeps
            the random initial weights (a warning is logged; for tests only).
        device: torch device, e.g. ``'cpu'`` or ``'cuda:0'``.
        score_thr: minimum track confidence (mean detection confidence) of a finding; None: the
            ``score_thr`` of the config's ``test_evaluator``, else 0.01.
        cfg_options: overrides merged into the config (``Config.merge_from_dict`` keys, e.g.
            ``{'test_dataloader.dataset.pipeline.1.scale': (64, 64)}``).

    Attributes:
        cfg, model (eval mode), pipeline (the test pipeline after its loader), classes, score_thr,
        load_limits (``max_frames`` / ``max_pixels`` of the config's ``LoadDSASequence``).
    """

    def __init__(
        self,
        config: str | os.PathLike | Config,
        checkpoint: str | os.PathLike | None = None,
        device: str | torch.device = 'cpu',
        score_thr: float | None = None,
        cfg_options: dict | None = None,
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
        self.load_limits = {'max_frames': loader.max_frames, 'max_pixels': loader.max_pixels}
        self.classes = self._class_names(cfg, checkpoint_meta)
        if score_thr is None:
            score_thr = evaluator_score_thr(cfg)
        self.score_thr = DEFAULT_SCORE_THR if score_thr is None else float(score_thr)

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
        """``model.test_step`` (data preprocessor, then ``predict`` in DICOM pixels) on one sequence."""
        with torch.no_grad():
            return self.model.test_step(data)[0]

    def postprocess(self, sample: DetDataSample) -> dict:
        """The plain-data result (keys: :mod:`occlunet.apis.sequence_result`)."""
        return sequence_result(sample, self.classes, self.score_thr)

    def predict(self, item: Any) -> dict:
        """load -> preprocess -> forward -> postprocess for one input."""
        return self.postprocess(self.forward(self.preprocess(self.load(item))))

    def __call__(self, inputs: Any) -> dict | list[dict]:
        """One result dict for one input (path, array, ...), a list of them for a list/tuple of inputs."""
        if isinstance(inputs, list | tuple):
            return [self.predict(item) for item in inputs]
        return self.predict(inputs)
