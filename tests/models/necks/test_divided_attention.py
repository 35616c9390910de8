"""DividedSpaceTimeAttention (OccluNet2) and its DividedSpaceTimeBlock."""

from __future__ import annotations

import pytest
import torch
from mmdet.registry import MODELS
from torch import nn

from occlunet.models.necks import DividedSpaceTimeAttention, DividedSpaceTimeBlock

B, T, C, D = 2, 3, 16, 8
MODES = ['window', 'pooled', 'global']


def make(**kwargs) -> DividedSpaceTimeAttention:
    args = dict(in_channels=C, num_frames=T, embed_dims=D, num_heads=2, window_size=4, pool_size=4) | kwargs
    return DividedSpaceTimeAttention(**args)


def frames(h: int = 8, w: int = 8) -> torch.Tensor:
    torch.manual_seed(0)
    return torch.randn(B, T, C, h, w)


def perturb(module: nn.Module) -> None:
    """Random weights everywhere (a trained module has non-zero temporal projections)."""
    torch.manual_seed(1)
    with torch.no_grad():
        for param in module.parameters():
            param.normal_(std=0.2)


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('size', [(16, 16), (8, 8), (4, 4), (6, 10), (3, 5)])
def test_output_shapes(mode: str, size: tuple[int, int]) -> None:
    module = make(spatial_mode=mode, window_size=4, pool_size=4)
    assert module(frames(*size)).shape == (B, C, *size)


@pytest.mark.parametrize('mode', MODES)
def test_default_window_and_full_channels(mode: str) -> None:
    module = DividedSpaceTimeAttention(C, T, spatial_mode=mode, num_layers=2)  # embed_dims = C, window 8
    assert isinstance(module.in_proj, nn.Identity)
    assert module(frames(12, 12)).shape == (B, C, 12, 12)


@pytest.mark.parametrize('num_layers', [1, 2])
def test_return_all_frames_matches_target_only_path(num_layers: int) -> None:
    module = make(num_layers=num_layers).eval()
    perturb(module)
    x = frames(6, 10)
    target = module(x)
    module.return_all_frames = True
    all_frames = module(x)
    assert all_frames.shape == (B, T, C, 6, 10)
    torch.testing.assert_close(all_frames[:, module.target_index], target)


def test_fresh_block_temporal_sublayer_is_exact_identity() -> None:
    block = DividedSpaceTimeBlock(D, num_heads=2, mlp_ratio=2.0)
    tokens = torch.randn(B, T, 6, 5, D)
    assert torch.equal(block.forward_temporal(tokens), tokens)
    assert torch.equal(block.forward_temporal(tokens, query_frame=2), tokens[:, 2:3])
    assert not block.temporal_attn.proj.weight.any() and not block.temporal_attn.proj.bias.any()


def test_temporal_projection_stays_zero_after_mmengine_init() -> None:
    module = make(num_layers=2, init_cfg=None)
    nn.init.ones_(module.blocks[0].temporal_attn.proj.weight)
    module.init_weights()
    for block in module.blocks:
        assert not block.temporal_attn.proj.weight.any()
    tokens = torch.randn(B, T, 4, 4, D)
    assert torch.equal(module.blocks[1].forward_temporal(tokens), tokens)


def test_fresh_block_mixes_no_frames_until_trained() -> None:
    """At init the block is a per-frame spatial block: frame t's output ignores the other frames."""
    block = DividedSpaceTimeBlock(D, num_heads=2, mlp_ratio=2.0, spatial_mode='window', window_size=4).eval()
    tokens = torch.randn(B, T, 6, 6, D)
    other = tokens.clone()
    other[:, [0, 2]] = torch.randn(B, 2, 6, 6, D)  # replace the non-target frames
    torch.testing.assert_close(block(tokens)[:, 1], block(other)[:, 1], rtol=0, atol=1e-6)
    perturb(block)
    assert not torch.allclose(block(tokens)[:, 1], block(other)[:, 1])


def test_window_attention_masks_padding() -> None:
    """6x10 frames in 4x4 windows (padded to 8x12) equal attention run on each window crop alone."""
    block = DividedSpaceTimeBlock(D, num_heads=2, mlp_ratio=2.0, spatial_mode='window', window_size=4).eval()
    y = torch.randn(2, 6, 10, D)
    out = block._window_attention(y)
    for top in range(0, 6, 4):
        for left in range(0, 10, 4):
            crop = y[:, top : top + 4, left : left + 4]
            n, h, w, _ = crop.shape
            expected = block.spatial_attn(crop.reshape(n, h * w, D)).view(n, h, w, D)
            torch.testing.assert_close(out[:, top : top + 4, left : left + 4], expected)


@pytest.mark.parametrize('mode', ['window', 'pooled'])
def test_local_modes_equal_global_when_the_frame_fits(mode: str) -> None:
    x = frames(4, 4)
    module = make(spatial_mode='global').eval()
    perturb(module)
    other = make(spatial_mode=mode, window_size=8, pool_size=8).eval()
    other.load_state_dict(module.state_dict())
    torch.testing.assert_close(other(x), module(x))


def test_learned_temporal_positional_embedding_trains() -> None:
    module = make()
    assert isinstance(module.pos_embed, nn.Parameter)
    assert module.pos_embed.shape == (T, D)
    before = module.pos_embed.detach().clone()
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    module(frames()).square().mean().backward()
    assert module.pos_embed.grad is not None and module.pos_embed.grad.abs().sum() > 0
    optimizer.step()
    assert not torch.equal(module.pos_embed.detach(), before)


def test_frame_order_matters_once_trained() -> None:
    module = make().eval()
    perturb(module)
    x = frames()
    assert not torch.allclose(module(x), module(x[:, [2, 1, 0]]))


@pytest.mark.parametrize(('target_index', 'expected'), [(None, 1), (0, 0), (-1, 2)])
def test_target_frame_selection(target_index: int | None, expected: int) -> None:
    module = make(target_index=target_index)
    assert module.target_index == expected
    with torch.no_grad():
        module.out_proj.weight.zero_()
        module.out_proj.bias.zero_()
    x = frames()
    assert torch.equal(module(x), x[:, expected])


def test_registry_build() -> None:
    cfg = dict(
        type='DividedSpaceTimeAttention', in_channels=C, num_frames=T, embed_dims=D, spatial_mode='pooled'
    )
    module = MODELS.build(cfg)
    assert isinstance(module, DividedSpaceTimeAttention)
    module.init_weights()
    assert module(frames()).shape == (B, C, 8, 8)


@pytest.mark.parametrize(
    ('kwargs', 'message'),
    [
        (dict(embed_dims=10, num_heads=4), 'embed_dims=10 must be a positive multiple of num_heads=4'),
        (dict(num_frames=0), 'num_frames must be >= 1'),
        (dict(target_index=5), 'target_index=5 is out of range for num_frames=3'),
        (dict(spatial_mode='shifted'), "spatial_mode='shifted' is not one of"),
        (dict(window_size=0), 'window_size and pool_size must be >= 1'),
        (dict(num_layers=0), 'num_layers must be >= 1'),
        (dict(cpe_kernel_size=2), 'cpe_kernel_size must be odd'),
    ],
)
def test_bad_arguments_raise(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(**kwargs)


@pytest.mark.parametrize('mode', MODES)
def test_backward(mode: str) -> None:
    module = make(spatial_mode=mode, num_layers=2, dropout=0.1, attn_drop=0.1)
    x = frames(6, 10).requires_grad_()
    module(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    for name, param in module.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name


def test_inference_mode() -> None:
    module = make().eval()
    x = frames(6, 10)
    expected = module(x)
    with torch.inference_mode():
        out = module(x)
    torch.testing.assert_close(out, expected)
