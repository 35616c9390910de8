"""OccluNet initialised from other checkpoints: a COCO YOLOX backbone (Pretrained init_cfg) and a trained
MinIP detector (``load_from``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

from occlunet.models.backbones import adapt_stem_kernel
from tests.models.detectors.test_occlunet import IN_FRAMES, SIZE, build, model_cfg


@pytest.fixture(autouse=True)
def mmdet_scope() -> Iterator[None]:
    """The detector builds its data preprocessor through mmengine's registry, as under a Runner."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def test_backbone_pretrained_from_a_coco_yolox_detector_checkpoint(tmp_path: Path) -> None:
    """The mmdet idiom: the backbone's init_cfg Pretrained with prefix='backbone.' on a full RGB YOLOX
    checkpoint; the detector's init_weights adapts the stem (4 patches x RGB -> 4 patches x frames)."""
    rgb = MODELS.build(dict(type='CSPDarknet', deepen_factor=0.33, widen_factor=0.125))
    state = {
        f'backbone.{k}': torch.randn_like(v) if v.is_floating_point() else v
        for k, v in rgb.state_dict().items()
    }
    state['bbox_head.multi_level_conv_cls.0.weight'] = torch.randn(80, 16, 1, 1)  # COCO classes: ignored
    path = tmp_path / 'yolox_s_coco.pth'
    torch.save({'state_dict': state}, path)
    cfg = model_cfg()
    cfg['backbone']['init_cfg'] = dict(type='Pretrained', checkpoint=str(path), prefix='backbone.')
    model = MODELS.build(cfg)
    model.init_weights()
    loaded = model.backbone.state_dict()
    key = 'stem.conv.conv.weight'
    assert state[f'backbone.{key}'].shape == (8, 12, 3, 3)
    torch.testing.assert_close(loaded[key], adapt_stem_kernel(state[f'backbone.{key}'], IN_FRAMES))
    assert torch.equal(loaded['stage4.0.conv.weight'], state['backbone.stage4.0.conv.weight'])


def test_fine_tuned_from_a_minip_detector_checkpoint(tmp_path: Path) -> None:
    """`make demo` starts OccluNet from the MinIP detector (``load_from``: mmengine's non-strict load).
    Every weight but the stem kernel and the temporal module loads unchanged; the 1-frame stem is spread
    over the 3 frames, so on a stack of identical frames OccluNet's backbone and neck compute exactly what
    the MinIP detector's compute on that frame."""
    torch.manual_seed(0)
    minip_cfg = model_cfg()
    minip_cfg['backbone']['in_frames'] = 1
    minip_cfg['temporal_neck']['num_frames'] = 1
    minip = MODELS.build(minip_cfg)
    gen = torch.Generator().manual_seed(1)
    state = {}
    for key, value in minip.state_dict().items():
        if key.endswith('running_var'):
            value = torch.rand(value.shape, generator=gen) + 0.5
        elif value.is_floating_point():
            value = torch.randn(value.shape, generator=gen) * 0.3
        state[key] = value
    minip.load_state_dict(state)
    path = tmp_path / 'minip_iter_1500.pth'
    torch.save({'state_dict': state, 'meta': {}}, path)

    model = build(temporal_type='DividedSpaceTimeAttention')
    load_checkpoint(model, str(path), map_location='cpu', strict=False)
    loaded = model.state_dict()
    stem = 'backbone.stem.conv.conv.weight'
    torch.testing.assert_close(loaded[stem], adapt_stem_kernel(state[stem], IN_FRAMES))
    for key in (
        'backbone.stage4.0.conv.weight',
        'neck.out_convs.0.conv.weight',
        'bbox_head.multi_level_conv_obj.0.bias',
    ):
        assert torch.equal(loaded[key], state[key]), key
    assert not any(k.startswith('temporal_neck.') for k in state)

    minip.eval()
    model.eval()
    image = torch.rand(2, 1, SIZE, SIZE, generator=gen)
    with torch.no_grad():
        expected = minip.neck(minip.backbone(image))
        got = model.neck(model.backbone(image.expand(2, IN_FRAMES, SIZE, SIZE).contiguous()))
    for a, b in zip(expected, got):
        assert a.abs().max() > 1e-3  # not a vacuous comparison of vanishing features
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4)
