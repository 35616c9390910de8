"""Awkward inputs for inference tests: XA runs of any size and length, checkpoints of a broken model."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope
from pydicom.uid import generate_uid

from occlunet.synth import XAHeader, write_xa

EXPLODING_LOG_SIZE = 25.0  # YOLOX decodes w = exp(pred) * stride: e^25 * 8 ~ 6e11 px, past int32
REG_BIAS = 'bbox_head.multi_level_conv_reg.{}.bias'


def write_run(path: Path, num_frames: int, height: int, width: int, seed: int = 0, view: str = 'PA') -> Path:
    """A valid multi-frame XA file (12-bit noise with a dark horizontal vessel), Rows x Columns = height x
    width."""
    header = XAHeader(
        patient_id='P1', study_id='S1', study_uid=generate_uid(), series_uid=generate_uid(),
        sop_uid=generate_uid(), acquired=datetime.datetime(2020, 1, 1, 8, 0), view=view, fps=3.0,
        bits_stored=12, imager_pixel_spacing=0.3, magnification=1.2,
        primary_angle=0.0 if view == 'PA' else 90.0, secondary_angle=0.0, series_number=1, laterality='L',
    )  # fmt: skip
    stored = np.random.default_rng(seed).integers(2000, 3000, (num_frames, height, width))
    stored[:, height // 2 - 2 : height // 2 + 2, :] -= 1500  # a vessel
    path.parent.mkdir(parents=True, exist_ok=True)
    write_xa(path, stored.astype(np.uint16), header)
    return path


def explode_box_regression(state: dict[str, torch.Tensor]) -> None:
    """Every YOLOX box-size logit (bbox_preds channels 2-3) raised so boxes decode ~1e11 px wide, finite."""
    for level in range(3):
        state[REG_BIAS.format(level)][2:] = EXPLODING_LOG_SIZE


def nan_weights(state: dict[str, torch.Tensor]) -> None:
    """A diverged checkpoint: every floating-point weight NaN."""
    for value in state.values():
        if value.is_floating_point():
            value.fill_(float('nan'))


def save_checkpoint(
    config: Path, path: Path, edit: Callable[[dict[str, torch.Tensor]], None] | None = None, seed: int = 0
) -> Path:
    """The config's model with its initial weights, changed in place by ``edit``, saved as a checkpoint."""
    cfg = Config.fromfile(str(config))
    with DefaultScope.overwrite_default_scope('mmdet'):
        torch.manual_seed(seed)
        model = MODELS.build(cfg.model)
    state = model.state_dict()
    if edit is not None:
        edit(state)
    torch.save({'state_dict': state, 'meta': {}}, path)
    return path
