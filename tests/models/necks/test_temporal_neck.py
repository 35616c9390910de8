"""TemporalNeck: one temporal module per pyramid level, window gathering for sequence inference."""

from __future__ import annotations

import pytest
import torch
from mmdet.registry import MODELS

from occlunet.models.necks import DividedSpaceTimeAttention, TemporalAttention, TemporalNeck

B, T = 2, 3
IN_CHANNELS = [8, 16, 32]
SIZES = [(16, 16), (8, 8), (4, 4)]  # P3, P4, P5 of a 128x128 input
TYPES = {'TemporalAttention': TemporalAttention, 'DividedSpaceTimeAttention': DividedSpaceTimeAttention}


def neck_cfg(temporal_type: str = 'TemporalAttention', num_frames: int = T, **kwargs) -> dict:
    temporal = dict(type=temporal_type, num_layers=1, num_heads=2)
    if temporal_type == 'DividedSpaceTimeAttention':
        temporal |= dict(spatial_mode='window', window_size=4)
    return (
        dict(type='TemporalNeck', in_channels=IN_CHANNELS, num_frames=num_frames, temporal_cfg=temporal)
        | kwargs
    )


def per_frame_feats(num: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    torch.manual_seed(seed)
    return tuple(torch.randn(num, c, h, w) for c, (h, w) in zip(IN_CHANNELS, SIZES))


@pytest.mark.parametrize('temporal_type', list(TYPES))
def test_builds_from_config_and_returns_target_frame_per_level(temporal_type: str) -> None:
    neck = MODELS.build(neck_cfg(temporal_type))
    assert all(type(m) is TYPES[temporal_type] for m in neck.temporal_modules)
    assert [m.in_channels for m in neck.temporal_modules] == IN_CHANNELS
    assert all(m.num_frames == T for m in neck.temporal_modules)
    outs = neck(per_frame_feats(B * T), num_frames=T)
    assert [tuple(o.shape) for o in outs] == [(B, c, h, w) for c, (h, w) in zip(IN_CHANNELS, SIZES)]


def test_swapping_type_swaps_the_module() -> None:
    cfg = neck_cfg('TemporalAttention')
    first = MODELS.build(cfg)
    cfg['temporal_cfg'] = cfg['temporal_cfg'] | dict(type='DividedSpaceTimeAttention')
    second = MODELS.build(cfg)
    assert isinstance(first.temporal_modules[0], TemporalAttention)
    assert isinstance(second.temporal_modules[0], DividedSpaceTimeAttention)


def test_frame_major_contract_and_5d_input() -> None:
    neck = MODELS.build(neck_cfg()).eval()
    flat = per_frame_feats(B * T)
    stacked = tuple(x.view(B, T, *x.shape[1:]) for x in flat)
    for a, b in zip(neck(flat), neck(stacked)):
        torch.testing.assert_close(a, b)
    # window b is rows b*T .. b*T + T - 1: running the windows one by one gives the same answer
    single = [neck(tuple(x[b * T : (b + 1) * T] for x in flat)) for b in range(B)]
    for level, out in enumerate(neck(flat)):
        torch.testing.assert_close(out, torch.cat([s[level] for s in single]))


def test_embed_dims_per_level_and_per_level_configs() -> None:
    neck = MODELS.build(neck_cfg(embed_dims=[4, 8, None]))
    assert [m.embed_dims for m in neck.temporal_modules] == [4, 8, 32]
    cfgs = [
        dict(type='TemporalAttention', num_heads=2, embed_dims=4),
        dict(type='DividedSpaceTimeAttention', num_heads=2, spatial_mode='global'),
        dict(type='DividedSpaceTimeAttention', num_heads=4, spatial_mode='pooled', pool_size=2),
    ]
    neck = MODELS.build(neck_cfg(temporal_cfg=cfgs, embed_dims=8))
    assert [type(m).__name__ for m in neck.temporal_modules] == [c['type'] for c in cfgs]
    assert [m.embed_dims for m in neck.temporal_modules] == [8, 8, 8]
    assert len(neck(per_frame_feats(B * T))) == 3


def test_single_frame_is_identity() -> None:
    neck = MODELS.build(neck_cfg(num_frames=1))
    assert len(neck.temporal_modules) == 0
    feats = per_frame_feats(B)
    assert all(out is x for out, x in zip(neck(feats), feats))
    centres = [1, 0]
    for out, x in zip(neck.forward_windows(feats, centres), feats):
        assert torch.equal(out, x[centres])


@pytest.mark.parametrize('temporal_type', list(TYPES))
@pytest.mark.parametrize('chunk_size', [None, 1, 2])
@pytest.mark.parametrize('centres', [None, [4, 0, 2]])
def test_forward_windows_equals_forward_on_stacked_windows(
    temporal_type: str, chunk_size: int | None, centres: list[int] | None
) -> None:
    neck = MODELS.build(neck_cfg(temporal_type)).eval()
    num_seq_frames = 5
    cache = per_frame_feats(num_seq_frames)
    targets = range(num_seq_frames) if centres is None else centres
    windows = [[min(max(t + k, 0), num_seq_frames - 1) for k in (-1, 0, 1)] for t in targets]
    flat_index = [i for window in windows for i in window]  # frame-major, as the detector stacks them
    expected = neck(tuple(x[flat_index] for x in cache))
    with torch.inference_mode():
        outs = neck.forward_windows(cache, centres, chunk_size=chunk_size)
    for out, exp in zip(outs, expected):
        assert out.shape == (len(targets), *exp.shape[1:])
        torch.testing.assert_close(out, exp)


def test_forward_windows_backward() -> None:
    neck = MODELS.build(neck_cfg())
    cache = tuple(x.requires_grad_() for x in per_frame_feats(4))
    sum(o.sum() for o in neck.forward_windows(cache, chunk_size=3)).backward()
    assert all(x.grad is not None and x.grad.abs().sum() > 0 for x in cache)


@pytest.mark.parametrize(
    ('overrides', 'message'),
    [
        (dict(num_frames=0), 'num_frames must be >= 1'),
        (dict(embed_dims=[8, 8]), 'embed_dims must be one value or a list of 3'),
        (
            dict(temporal_cfg=[dict(type='TemporalAttention')]),
            'temporal_cfg must be one value or a list of 3',
        ),
        (dict(embed_dims=6), 'embed_dims=6 must be a positive multiple of num_heads=4'),
    ],
)
def test_bad_config_raises(overrides: dict, message: str) -> None:
    cfg = neck_cfg() | overrides
    if 'embed_dims' in overrides and not isinstance(overrides['embed_dims'], list):
        cfg['temporal_cfg'] = dict(type='TemporalAttention', num_heads=4)
    with pytest.raises(ValueError, match=message):
        MODELS.build(cfg)


def test_mixed_target_frames_raise() -> None:
    cfgs = [dict(type='TemporalAttention', num_heads=2, target_index=i) for i in (1, 1, 2)]
    with pytest.raises(ValueError, match='same target frame'):
        MODELS.build(neck_cfg(temporal_cfg=cfgs))


def test_bad_inputs_raise() -> None:
    neck = MODELS.build(neck_cfg())
    with pytest.raises(ValueError, match='not a multiple of num_frames=3'):
        neck(per_frame_feats(4))
    with pytest.raises(ValueError, match='called with num_frames=5'):
        neck(per_frame_feats(B * T), num_frames=5)
    with pytest.raises(ValueError, match='expected 3 levels'):
        neck(per_frame_feats(B * T)[:2])
    with pytest.raises(ValueError, match='chunk_size must be >= 1'):
        neck.forward_windows(per_frame_feats(4), chunk_size=0)


def test_is_temporal_neck_instance() -> None:
    assert isinstance(MODELS.build(neck_cfg()), TemporalNeck)
