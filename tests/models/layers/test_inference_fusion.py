"""fuse_for_inference: BN folded, SiLU fused, SPP pools cascaded, channels-last; the same outputs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from mmcv.cnn.bricks import Swish
from mmdet.models.backbones.csp_darknet import SPPBottleneck
from mmdet.registry import MODELS
from mmengine.registry import DefaultScope
from torch import nn

from occlunet.models.layers import CascadedSPP, fuse_for_inference
from occlunet.models.layers.inference_fusion import cascade_kernel
from tests.models.tiny_occlunet import occlunet_cfg


@pytest.fixture(autouse=True)
def mmdet_scope() -> Iterator[None]:
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def randomise_bn(model: nn.Module, seed: int = 0) -> nn.Module:
    """Non-trivial BN statistics and affine parameters (the init ones make BN nearly the identity)."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)
    return model.eval()


YOLOX_CFG = dict(
    type='YOLOX',
    data_preprocessor=dict(type='DetDataPreprocessor'),
    backbone=dict(type='CSPDarknet', deepen_factor=0.33, widen_factor=0.125),
    neck=dict(type='YOLOXPAFPN', in_channels=[32, 64, 128], out_channels=16, num_csp_blocks=1),
    bbox_head=dict(type='YOLOXHead', num_classes=1, in_channels=16, feat_channels=16, stacked_convs=1),
    test_cfg=dict(score_thr=0.0, nms=dict(type='nms', iou_threshold=0.65)),
)


@pytest.mark.parametrize(
    'cfg', [occlunet_cfg('TemporalAttention'), occlunet_cfg('DividedSpaceTimeAttention'), YOLOX_CFG]
)
def test_fused_model_gives_the_same_outputs(cfg: dict) -> None:
    torch.manual_seed(0)
    model = randomise_bn(MODELS.build(cfg))
    torch.manual_seed(1)
    shape = (2, 3, 3, 64, 64) if cfg['type'] == 'OccluNet' else (2, 3, 64, 64)
    inputs = torch.rand(shape) * 4 - 2
    with torch.no_grad():
        expected = model._forward(inputs)
        fuse_for_inference(model)
        got = model._forward(inputs)

    removed = nn.modules.batchnorm._BatchNorm | Swish | SPPBottleneck
    assert not any(isinstance(m, removed) for m in model.modules())
    assert sum(isinstance(m, CascadedSPP) for m in model.modules()) == 1
    assert all(p.is_contiguous(memory_format=torch.channels_last) for p in model.parameters() if p.dim() == 4)
    for level_got, level_expected in zip(got, expected):  # cls, reg, obj outputs per level
        for a, b in zip(level_got, level_expected):
            # float rounding, amplified by the random net: within 1e-5 of the output's magnitude
            assert (a - b).abs().max() <= 1e-5 * b.abs().max()


def test_cascade_is_exact_for_the_yolox_kernels() -> None:
    spp = SPPBottleneck(8, 8, kernel_sizes=(5, 9, 13)).eval()
    torch.manual_seed(0)
    x = torch.randn(2, 8, 13, 11)
    with torch.no_grad():
        assert torch.equal(CascadedSPP(spp, 5, 3)(x), spp(x))  # max-pools only reorder: bit-exact


@pytest.mark.parametrize(
    ('kernels', 'expected'),
    [((5, 9, 13), 5), ((3, 5, 7), 3), ((5,), 5), ((5, 9, 14), None), ((5, 7), None), ((4, 7), None)],
)
def test_cascade_kernel(kernels: tuple[int, ...], expected: int | None) -> None:
    spp = SPPBottleneck(8, 8, kernel_sizes=kernels)
    assert cascade_kernel(spp) == expected


def test_a_model_in_training_mode_is_refused() -> None:
    model = MODELS.build(YOLOX_CFG)
    with pytest.raises(ValueError, match='eval mode'):
        fuse_for_inference(model.train())
