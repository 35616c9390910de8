"""The variants that tools/benchmark/bench_inference.py times: models, inputs and one call per variant."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import torch

from ..apis import SequenceInferencer
from ..dicom import load_dsa
from ..models.layers import fuse_for_inference
from ..structures import window_frame_indices
from .flops import count_macs
from .models import (
    build_model,
    candidate_threshold,
    head_scores,
    load_config,
    write_synthetic_run,
    yolox_s_cfg,
)
from .timing import inference


def pipeline_options(size: int) -> dict:
    return {'test_dataloader.dataset.pipeline.1.scale': (size, size)}


class InferenceBench:
    """The models and the timed callables of one input size.

    Args:
        args: the command line of tools/benchmark/bench_inference.py (``frames``, ``variants``,
            ``candidates``, ``amp``, ``no_fuse``, ``no_trace``).
        device: where the models run.
        size: the network input size; the synthetic run's frames are ``size`` x ``size``.
        folder: where the synthetic run is written.
        configs: the config file of each model (``occlunet1``, ``occlunet2``, ``minip``, ``classifier``).
    """

    def __init__(
        self,
        args: argparse.Namespace,
        device: torch.device,
        size: int,
        folder: Path,
        configs: Mapping[str, str | os.PathLike],
    ) -> None:
        self.args, self.device, self.size = args, device, size
        self.dicom, _ = write_synthetic_run(folder, size, args.frames)
        self.frames = load_dsa(self.dicom).frames  # (F, size, size)
        fuse = not args.no_fuse
        wanted = set(args.variants)

        def prepare(model: torch.nn.Module) -> torch.nn.Module:
            if fuse:
                fuse_for_inference(model, trace=not args.no_trace)
            return model

        def inferencer(name: str) -> SequenceInferencer:
            cfg = load_config(configs[name], pipeline_options(size))
            torch.manual_seed(0)
            out = SequenceInferencer(cfg, None, device=device, fuse=False)
            prepare(out.model)
            return out

        self.o1 = inferencer('occlunet1')
        self.o2 = inferencer('occlunet2') if 'occlunet2_stream' in wanted else None
        self.minip = inferencer('minip') if 'minip_sequence' in wanted else None
        self.classifier = inferencer('classifier') if 'gru_classifier' in wanted else None
        self.yolox = prepare(build_model(yolox_s_cfg(self.o1.cfg.model)).to(device).eval())
        self.thresholds = self._set_thresholds()

    # -- set-up --------------------------------------------------------------------------------------
    def _frame_input(self, frame: np.ndarray) -> torch.Tensor:
        """One frame as YOLOX-S input: 3 equal channels, the data preprocessor's scale. (1, 3, H, W)"""
        x = torch.from_numpy((frame - 0.5) / 0.25).to(self.device)
        return x.expand(1, 3, *x.shape).contiguous(memory_format=torch.channels_last)

    def _set_thresholds(self) -> dict[str, float]:
        """Per model the score threshold letting ``--candidates`` boxes of a frame into NMS (and the same
        minimum for the linker)."""
        out = {}
        with inference(self.device, self.args.amp):
            feats = self.yolox.neck(self.yolox.backbone(self._frame_input(self.frames[0])))
            out['yolox_s'] = candidate_threshold(
                head_scores(self.yolox.bbox_head, feats), self.args.candidates
            )
            for name, inf in (('occlunet1', self.o1), ('occlunet2', self.o2), ('minip', self.minip)):
                if inf is None:
                    continue
                data = inf.model.data_preprocessor(inf.preprocess(inf.load(self.frames[:3])))
                model = inf.model
                feats = model.temporal_neck.forward_windows(model.frame_features(data['inputs'][0]), [0])
                out[name] = candidate_threshold(head_scores(model.bbox_head, feats), self.args.candidates)
        self.yolox.bbox_head.test_cfg['score_thr'] = out['yolox_s']
        for name, inf in (('occlunet1', self.o1), ('occlunet2', self.o2), ('minip', self.minip)):
            if inf is not None:
                inf.model.bbox_head.test_cfg['score_thr'] = out[name]
                inf.model.test_cfg['score_thr'] = out[name]
                inf.model.tracker.score_thr = out[name]
        return out

    # -- the timed calls (one whole run each) -------------------------------------------------------
    def run_yolox(self) -> None:
        model = self.yolox
        meta = {'img_shape': (self.size, self.size), 'scale_factor': (1.0, 1.0)}
        for frame in self.frames:
            outs = model.bbox_head(model.neck(model.backbone(self._frame_input(frame))))
            with torch.autocast(device_type=self.device.type, enabled=False):  # NMS in float32
                outs = ([t.float() for t in level] for level in outs)
                model.bbox_head.predict_by_feat(*outs, batch_img_metas=[meta], rescale=False)

    def run_stream(self, inf: object) -> None:
        inf.reset(inf.intensity_range(self.frames))
        for frame in self.frames:
            inf.push(frame)
        inf.finish()

    def run_recompute(self) -> None:
        """Backbone + PAFPN on every stack of every window (T = 3 calls per frame), as published."""
        inf, model = self.o1, self.o1.model
        steps = inf.frame_steps
        low_high = inf.intensity_range(self.frames)
        prepared = [steps.prepared(frame[None], low_high) for frame in self.frames]
        n, k, t = len(prepared), steps.neighbours, model.num_frames
        meta = {'img_shape': (self.size, self.size), 'scale_factor': (1.0, 1.0), 'flip': False}

        neighbours = window_frame_indices(n, 2 * k + 1, k).tolist()  # (n, 2k+1): frames of each stack
        windows = window_frame_indices(n, t, model.temporal_neck.target_index).tolist()  # (n, T)

        def stack(j: int) -> torch.Tensor:  # network input of frame j, (C, H_pad, W_pad)
            x = torch.from_numpy(np.stack([prepared[i] for i in neighbours[j]]))[None]
            return model.data_preprocessor({'inputs': [x], 'data_samples': None})['inputs'][0, 0]

        per_frame = []
        for target in range(n):
            window = [stack(j) for j in windows[target]]
            feats = model.extract_feat(torch.stack(window)[None])  # (1, T, C, H, W): T backbone calls
            per_frame += model.detect(feats, meta)
        model.tracker.link(per_frame)

    def variants(self) -> dict[str, Callable[[], object]]:
        amp, device = self.args.amp, self.device

        def wrapped(fn: Callable[[], object]) -> Callable[[], object]:
            def call() -> object:
                with inference(device, amp):
                    return fn()

            return call

        table = {
            'yolox_s': self.run_yolox,
            'occlunet1_stream': lambda: self.run_stream(self.o1),
            'occlunet1_recompute': self.run_recompute,
            'occlunet1_sequence': lambda: self.o1.predict(self.frames),
            'occlunet2_stream': lambda: self.run_stream(self.o2),
            'minip_sequence': lambda: self.minip.predict(self.frames),
            'gru_classifier': lambda: self.classifier.forward(
                self.classifier.preprocess(self.classifier.load(self.frames))
            ),
            'occlunet1_dicom': lambda: self.o1.predict_stream(self.dicom),
        }
        return {name: wrapped(table[name]) for name in self.args.variants}

    # -- FLOPs ---------------------------------------------------------------------------------------
    def macs_per_frame(self) -> dict[str, int | None]:
        """Multiply-adds per frame of each variant (None where not counted)."""
        size, n = self.size, len(self.frames)
        x1 = torch.zeros(1, 3, size, size, device=self.device)
        yolox = self.yolox
        out: dict[str, int | None] = {
            'yolox_s': count_macs(lambda x: yolox.bbox_head(yolox.neck(yolox.backbone(x))), yolox, (x1,))
        }

        def occlunet(model: torch.nn.Module, x: torch.Tensor) -> tuple[int, int]:
            """(backbone + PAFPN per stack, temporal module + head per target frame)."""
            frame = count_macs(lambda x: model.frame_features(x), model, (x,))
            feats = tuple(
                f.expand(model.num_frames, *f.shape[1:]).contiguous() for f in model.frame_features(x)
            )
            temporal = count_macs(lambda *f: model.temporal_neck(f), model, feats)
            head = count_macs(lambda *f: model.bbox_head(f), model, model.temporal_neck(feats))
            return frame, temporal + head

        stack = torch.zeros(1, self.o1.cfg.model.backbone.in_frames, size, size, device=self.device)
        frame, rest = occlunet(self.o1.model, stack)
        out['occlunet1_stream'] = out['occlunet1_sequence'] = out['occlunet1_dicom'] = frame + rest
        out['occlunet1_recompute'] = self.o1.model.num_frames * frame + rest
        if self.o2 is not None:
            out['occlunet2_stream'] = sum(occlunet(self.o2.model, stack))
        if self.minip is not None:
            image = torch.zeros(1, self.minip.cfg.model.backbone.in_frames, size, size, device=self.device)
            out['minip_sequence'] = sum(occlunet(self.minip.model, image)) // n
        if self.classifier is not None:  # the CNN on each chunk of 3 frames; the GRU is negligible
            model = self.classifier.model
            chunks = -(-n // 3)
            cnn = count_macs(
                lambda x: model.backbone(x), model, (torch.zeros(1, 3, size, size, device=self.device),)
            )
            out['gru_classifier'] = cnn * chunks // n
        return out
