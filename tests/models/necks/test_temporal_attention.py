"""TemporalAttention (OccluNet1): attention across the frames of a window at each location."""

from __future__ import annotations

import pytest
import torch
from mmdet.registry import MODELS
from torch import nn

from occlunet.models.layers import batched_sdpa
from occlunet.models.necks import TemporalAttention

B, T, C, H, W = 2, 3, 16, 8, 8


@pytest.fixture
def x() -> torch.Tensor:
    torch.manual_seed(0)
    return torch.randn(B, T, C, H, W)


@pytest.mark.parametrize('embed_dims', [None, 8])
@pytest.mark.parametrize('num_layers', [1, 2])
def test_output_is_target_frame_features(x: torch.Tensor, embed_dims: int | None, num_layers: int) -> None:
    module = TemporalAttention(C, T, embed_dims=embed_dims, num_layers=num_layers, num_heads=2)
    assert module(x).shape == (B, C, H, W)
    assert module.embed_dims == (embed_dims or C)
    assert isinstance(module.in_proj, nn.Identity if embed_dims is None else nn.Linear)


def test_non_square_level(x: torch.Tensor) -> None:
    module = TemporalAttention(C, T, embed_dims=8, num_heads=2)
    assert module(torch.randn(B, T, C, 5, 7)).shape == (B, C, 5, 7)


@pytest.mark.parametrize('num_layers', [1, 2])
def test_return_all_frames_matches_target_only_path(x: torch.Tensor, num_layers: int) -> None:
    module = TemporalAttention(C, T, embed_dims=8, num_layers=num_layers, num_heads=2).eval()
    target = module(x)
    module.return_all_frames = True
    all_frames = module(x)
    assert all_frames.shape == (B, T, C, H, W)
    torch.testing.assert_close(all_frames[:, module.target_index], target)


def test_learned_positional_embedding_trains(x: torch.Tensor) -> None:
    module = TemporalAttention(C, T, embed_dims=8, num_heads=2)
    assert isinstance(module.pos_embed, nn.Parameter)
    assert module.pos_embed.shape == (T, 8)
    before = module.pos_embed.detach().clone()
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    module(x).square().mean().backward()
    assert module.pos_embed.grad is not None and module.pos_embed.grad.abs().sum() > 0
    optimizer.step()
    assert not torch.equal(module.pos_embed.detach(), before)


def test_frame_order_matters_through_positional_embedding(x: torch.Tensor) -> None:
    module = TemporalAttention(C, T, embed_dims=8, num_heads=2).eval()
    swapped = x[:, [2, 1, 0]]  # non-target frames exchanged, target (centre) frame in place
    assert not torch.allclose(module(x), module(swapped))
    # without a positional embedding the target query sees a set of frames: order would not matter
    with torch.no_grad():
        module.pos_embed.zero_()
    torch.testing.assert_close(module(x), module(swapped))


@pytest.mark.parametrize(('target_index', 'expected'), [(None, 1), (0, 0), (2, 2), (-1, 2)])
def test_target_frame_selection(x: torch.Tensor, target_index: int | None, expected: int) -> None:
    module = TemporalAttention(C, T, embed_dims=8, num_heads=2, target_index=target_index)
    assert module.target_index == expected
    with torch.no_grad():  # no update: the output is the target frame's input features
        module.out_proj.weight.zero_()
        module.out_proj.bias.zero_()
    assert torch.equal(module(x), x[:, expected])


def test_residual_update_is_small_at_init(x: torch.Tensor) -> None:
    out = TemporalAttention(C, T, embed_dims=8, num_heads=2)(x)
    update = out - x[:, T // 2]
    assert 0 < update.std() < x.std()


def test_registry_build_and_init_weights(x: torch.Tensor) -> None:
    module = MODELS.build(
        dict(type='TemporalAttention', in_channels=C, num_frames=T, embed_dims=8, num_heads=2)
    )
    assert isinstance(module, TemporalAttention)
    module.init_weights()
    assert module(x).shape == (B, C, H, W)


@pytest.mark.parametrize(
    ('kwargs', 'message'),
    [
        (dict(embed_dims=10, num_heads=4), 'embed_dims=10 must be a positive multiple of num_heads=4'),
        (dict(num_heads=3), 'embed_dims=16 must be a positive multiple of num_heads=3'),
        (dict(num_frames=0), 'num_frames must be >= 1'),
        (dict(target_index=3), 'target_index=3 is out of range for num_frames=3'),
        (dict(target_index=-4), 'target_index=-4 is out of range'),
        (dict(num_layers=0), 'num_layers must be >= 1'),
    ],
)
def test_bad_arguments_raise(kwargs: dict, message: str) -> None:
    args = dict(in_channels=C, num_frames=T) | kwargs
    with pytest.raises(ValueError, match=message):
        TemporalAttention(**args)


def test_wrong_number_of_frames_raises(x: torch.Tensor) -> None:
    with pytest.raises(ValueError, match='built for num_frames=3'):
        TemporalAttention(C, T, embed_dims=8, num_heads=2)(x[:, :2])


def test_backward_reaches_every_parameter(x: torch.Tensor) -> None:
    module = TemporalAttention(C, T, embed_dims=8, num_layers=2, num_heads=2, dropout=0.1, attn_drop=0.1)
    x = x.requires_grad_()
    module(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    for name, param in module.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name


def test_loss_decreases_on_toy_target(x: torch.Tensor) -> None:
    module = TemporalAttention(C, T, embed_dims=8, num_heads=2)
    goal = x.mean(dim=1)  # the temporal mean: needs the other frames
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-2)
    losses = []
    for _ in range(20):
        loss = (module(x) - goal).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_inference_mode(x: torch.Tensor) -> None:
    module = TemporalAttention(C, T, embed_dims=8, num_heads=2).eval()
    expected = module(x)
    with torch.inference_mode():
        out = module(x)
    torch.testing.assert_close(out, expected)


def test_batched_sdpa_splits_large_batches_exactly() -> None:
    """Per-location attention has B*H*W sequences; on CUDA they are split below the kernels' grid limit."""
    torch.manual_seed(0)
    q, k, v = torch.randn(3, 7, 2, 1, 4), torch.randn(3, 7, 2, 3, 4), torch.randn(3, 7, 2, 3, 4)
    q, k, v = (t.flatten(0, 1) for t in (q, k, v))  # (21, h, L, d)
    mask = torch.rand(21, 1, 1, 3) > 0.3
    mask[:, ..., 0] = True
    for attn_mask in (None, mask, mask[:1]):
        expected = batched_sdpa(q, k, v, attn_mask)
        torch.testing.assert_close(batched_sdpa(q, k, v, attn_mask, max_batch=4), expected)
