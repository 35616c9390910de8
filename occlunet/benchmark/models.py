"""The models and inputs the benchmarks run: configs, registry builds, the plain YOLOX-S twin of an OccluNet
config, score thresholds of untrained heads and a synthetic DICOM run."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from mmengine.config import Config, ConfigDict
from torch import Tensor, nn

from ..synth import generate_dataset


def load_config(path: str | os.PathLike, options: dict | None = None) -> Config:
    cfg = Config.fromfile(str(path))
    if options:
        cfg.merge_from_dict(options)
    return cfg


def build_model(model_cfg: dict) -> nn.Module:
    """A model from a config dict through mmdet's registry (importing occlunet registered ours)."""
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(model_cfg)


def yolox_s_cfg(occlunet_model: dict) -> dict:
    """Plain mmdet YOLOX on single 3-channel images with the widths, depths, neck, head and test settings
    of an OccluNet model config (YOLOX-S for ``configs/occlunet1_dsa.py``)."""
    backbone = {
        k: v for k, v in occlunet_model['backbone'].items() if k not in ('type', 'in_frames', 'init_cfg')
    }
    backbone.pop('pretrained_in_channels', None)
    return dict(
        type='YOLOX',
        data_preprocessor=dict(type='DetDataPreprocessor', pad_size_divisor=32),
        backbone=dict(type='CSPDarknet', **backbone),
        neck=dict(occlunet_model['neck']),
        bbox_head=dict(occlunet_model['bbox_head']),
        train_cfg=ConfigDict(occlunet_model.get('train_cfg') or {}),  # mmdet's heads read attributes
        test_cfg=ConfigDict(occlunet_model['test_cfg']),
    )


def head_scores(head: nn.Module, feats: tuple[Tensor, ...]) -> Tensor:
    """All pre-NMS detection scores (sigmoid(cls) * sigmoid(obj), best class) of a YOLOX head."""
    cls, _, obj = head(feats)
    scores = [
        (c.sigmoid().amax(dim=1) * o.sigmoid()[:, 0]).flatten() for c, o in zip(cls, obj)
    ]  # per level (N*H*W,)
    return torch.cat(scores).float()


def candidate_threshold(scores: Tensor, candidates: int) -> float:
    """The score threshold that lets about ``candidates`` boxes of one image into NMS."""
    k = min(candidates, scores.numel())
    return float(scores.topk(k).values[-1])


def write_synthetic_run(
    folder: str | os.PathLike, size: int, frames: int, compress: str = 'none', seed: int = 0
) -> tuple[Path, dict]:
    """One occluded study (``occlunet.synth``) of ``frames`` frames at ``size``^2; the PA file and the
    generator's summary (seconds, frames per second over both views)."""
    summary_ = generate_dataset(
        folder,
        1,
        size=size,
        seed=seed,
        progress=False,
        frames_min=frames,
        frames_max=frames,
        occlusion_fraction=1.0,
        compress=compress,
    )
    return Path(folder) / 'dicom' / 'S0000_PA.dcm', summary_
