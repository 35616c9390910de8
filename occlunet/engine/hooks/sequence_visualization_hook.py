"""Draw every test sequence of an OccluNet model: a GIF with detections, best track and GT, a MinIP PNG.

``tools/test.py --show-dir DIR`` adds :class:`SequenceVisualizationHook` for whole-sequence OccluNet
configs (:func:`is_sequence_test_config`) instead of mmdet's ``DetVisualizationHook``, which draws single
images read with ``mmcv.imread`` and cannot read DICOM sequences.
"""

from __future__ import annotations

import logging
import os
import os.path as osp
from collections.abc import Sequence
from typing import Any

import numpy as np
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.logging import print_log

DEFAULT_FPS = 3.0  # DSA frame rate in Mittmann et al.; used when a sequence has none
SEQUENCE_MODELS = ('OccluNet',)


def _model_type(cfg: Any) -> str | None:
    model_type = (cfg.get('model') or {}).get('type')
    return model_type if isinstance(model_type, str) else getattr(model_type, '__name__', None)


def is_sequence_test_config(cfg: Any) -> bool:
    """Whether ``cfg`` tests an OccluNet model on whole sequences (``test_dataloader.dataset`` with
    ``test_mode=True``, ``num_frames=None`` or ``label_mode='sequence'``): its test outputs carry
    ``pred_tracks`` and :class:`SequenceVisualizationHook` can draw them."""
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    whole = (
        bool(dataset.get('test_mode', False))
        or ('num_frames' in dataset and dataset['num_frames'] is None)
        or dataset.get('label_mode') == 'sequence'
    )
    return whole and _model_type(cfg) in SEQUENCE_MODELS


def add_sequence_visualization(cfg: Any, out_dir: str, **kwargs: Any) -> None:
    """Append a ``SequenceVisualizationHook(out_dir, **kwargs)`` to ``cfg.custom_hooks`` (replacing one
    already there)."""
    hooks = [h for h in (cfg.get('custom_hooks') or []) if h.get('type') != 'SequenceVisualizationHook']
    cfg.custom_hooks = [*hooks, dict(type='SequenceVisualizationHook', out_dir=out_dir, **kwargs)]


def _safe_name(text: str) -> str:
    return ''.join(c if c.isalnum() or c in '-_.' else '_' for c in text).strip('_') or 'sequence'


@HOOKS.register_module()
class SequenceVisualizationHook(Hook):
    """After each test iteration, for each whole-sequence output: ``<name>.gif`` (every frame with the
    per-frame detections thin, the best track bold, the GT box on the frames where it is visible, a
    caption with the frame and the finding) and ``<name>_minip.png`` (MinIP with best track and GT).

    The frames are decoded again from the sample's ``img_path`` (DICOM resolution); predictions and GT
    are drawn in DICOM pixels (GT mapped from network-input pixels as ``SequenceDetectionMetric`` does).
    ``<name>`` is ``<video_id>_<file name without extension>``. Each rank draws its own samples.

    Args:
        out_dir: output directory (created; not relative to the work dir).
        max_sequences: stop after this many sequences (per rank); None: all.
        score_thr: minimum track confidence of a finding; None: the ``score_thr`` of the runner's
            ``test_evaluator``, else 0.01.
        size: long side of the drawings in pixels (None: DICOM resolution).
        fps: GIF speed; None: the sequence's frame rate (else 3).
        draw_minip: also write the MinIP PNG.
    """

    priority = 'LOW'

    def __init__(
        self,
        out_dir: str,
        max_sequences: int | None = None,
        score_thr: float | None = None,
        size: int | None = 512,
        fps: float | None = None,
        draw_minip: bool = True,
    ) -> None:
        if max_sequences is not None and max_sequences < 0:
            raise ValueError(f'SequenceVisualizationHook: max_sequences must be >= 0, got {max_sequences}')
        self.out_dir = os.fspath(out_dir)
        self.max_sequences = max_sequences
        self.score_thr = score_thr
        self.size = size
        self.fps = fps
        self.draw_minip = draw_minip
        self.count = 0
        self.classes: Sequence[str] = ()
        self._warned = False

    def before_test(self, runner: Any) -> None:
        from occlunet.apis.sequence_result import DEFAULT_SCORE_THR, evaluator_score_thr

        self.count = 0
        if self.score_thr is None:
            thr = evaluator_score_thr(runner.cfg)
            self.score_thr = DEFAULT_SCORE_THR if thr is None else thr
        try:
            self.classes = tuple(runner.test_dataloader.dataset.metainfo.get('classes') or ())
        except (AttributeError, TypeError):
            self.classes = ()
        os.makedirs(self.out_dir, exist_ok=True)

    def after_test_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Sequence[Any] | None = None
    ) -> None:
        for sample in outputs or ():
            if self.max_sequences is not None and self.count >= self.max_sequences:
                return
            if sample.get('pred_tracks') is None or sample.metainfo.get('frame_id') is not None:
                if not self._warned:
                    print_log(
                        'SequenceVisualizationHook: outputs without pred_tracks (not whole sequences) are '
                        'not drawn',
                        logger='current',
                        level=logging.WARNING,
                    )
                    self._warned = True
                continue
            self.draw(sample)
            self.count += 1

    def draw(self, sample: Any) -> tuple[str, str | None]:
        """Write the GIF (and MinIP PNG) of one whole-sequence data sample; returns their paths."""
        from occlunet.apis.sequence_result import sequence_result
        from occlunet.dicom import load_dsa
        from occlunet.evaluation.metrics.sequence_record import gt_boxes_in_dicom, to_numpy
        from occlunet.evaluation.verdict import label_name
        from occlunet.visualization import draw_result, draw_result_minip, write_gif, write_png

        meta = sample.metainfo
        result = sequence_result(sample, self.classes, float(self.score_thr))
        frames = load_dsa(meta['img_path']).frames
        instances = sample.get('gt_instances')
        if instances is None:  # no annotations: nothing to compare with
            gt_boxes, gt_labels = np.zeros((0, 4)), np.zeros(0, np.int64)
        else:
            gt_boxes, gt_labels = gt_boxes_in_dicom({**meta, 'gt_instances': instances})
        starts = instances.get('frame_start') if instances is not None else None
        ends = instances.get('frame_end') if instances is not None else None
        if starts is not None and ends is not None and len(starts) == len(gt_boxes):
            spans = [(int(a), int(b)) for a, b in zip(to_numpy(starts), to_numpy(ends))]
        else:
            spans = [None] * len(gt_boxes)
        gt_names = [label_name(int(lab), self.classes) for lab in gt_labels]
        gt_texts = [f'GT {name}' for name in gt_names]
        gt_line = 'GT: ' + (', '.join(gt_names) if gt_names else 'none')
        gif = draw_result(
            frames,
            result,
            gt_boxes=gt_boxes,
            gt_frames=spans,
            gt_texts=gt_texts,
            extra_caption=gt_line,
            size=self.size,
        )
        stem = osp.splitext(osp.basename(meta.get('file_name') or meta['img_path']))[0]
        video_id = meta.get('video_id')
        name = _safe_name(stem if video_id is None else f'{video_id}_{stem}')
        gif_path = write_gif(
            gif, osp.join(self.out_dir, f'{name}.gif'), fps=self.fps or result['frame_rate'] or DEFAULT_FPS
        )
        png_path = None
        if self.draw_minip:
            minip = draw_result_minip(
                frames, result, gt_boxes=gt_boxes, gt_texts=gt_texts, extra_caption=gt_line, size=self.size
            )
            png_path = write_png(minip, osp.join(self.out_dir, f'{name}_minip.png'))
        return gif_path, png_path
