"""MultiFrameCSPDarknet: in_frames-channel Focus stem, YOLOX-S size, Pretrained init from RGB YOLOX."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from mmdet.models.backbones import CSPDarknet
from mmdet.registry import MODELS
from torch import nn

from occlunet.models.backbones import MultiFrameCSPDarknet, adapt_stem_kernel

TINY = dict(deepen_factor=0.33, widen_factor=0.125)  # stem 8, stages 16/32/64/128 channels
SIZE = 64
STEM_KEY = 'stem.conv.conv.weight'


def randomise(model: nn.Module, seed: int = 0) -> nn.Module:
    """Random weights and BN statistics everywhere (a 'trained' model), in eval mode."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            if tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=gen) * 0.5 + 0.5 * (tensor.dim() == 1))
    model.eval()  # mmdet's CSPDarknet.train returns None: no chaining
    return model


def rgb_checkpoint(tmp_path: Path, detector_keys: bool) -> tuple[CSPDarknet, Path]:
    """A YOLOX-style RGB checkpoint (mmdet CSPDarknet) saved with torch.save as a plain dict of tensors."""
    rgb = randomise(CSPDarknet(**TINY))
    assert rgb.stem.conv.conv.weight.shape == (8, 12, 3, 3)  # Focus(3): 4 patches x RGB
    state = {k: v.clone() for k, v in rgb.state_dict().items()}
    if detector_keys:  # as in a full mmdet YOLOX checkpoint
        state = {f'backbone.{k}': v for k, v in state.items()}
        state['neck.some.weight'] = torch.zeros(3)
        state['bbox_head.some.weight'] = torch.zeros(3)
    path = tmp_path / 'yolox_rgb.pth'
    torch.save({'state_dict': state, 'meta': {}}, path)
    return rgb, path


@pytest.mark.parametrize('in_frames', [1, 3, 5])
def test_output_shapes_for_any_number_of_frames(in_frames: int) -> None:
    model = MultiFrameCSPDarknet(in_frames=in_frames, **TINY).eval()
    assert model.stem.conv.conv.in_channels == 4 * in_frames
    outs = model(torch.randn(2, in_frames, SIZE, SIZE))
    assert [tuple(o.shape) for o in outs] == [(2, 32, 8, 8), (2, 64, 4, 4), (2, 128, 2, 2)]


def test_default_is_yolox_s_sized() -> None:
    model = MODELS.build(dict(type='MultiFrameCSPDarknet'))
    num = sum(p.numel() for p in model.parameters())
    reference = sum(p.numel() for p in CSPDarknet(deepen_factor=0.33, widen_factor=0.5).parameters())
    assert num == reference == 4_212_672  # 3 frames x 4 patches = RGB x 4 patches: same stem size
    five = MultiFrameCSPDarknet(in_frames=5)
    assert sum(p.numel() for p in five.parameters()) == num + 32 * 4 * 2 * 3 * 3  # 2 more frames in the stem
    assert model.stem.conv.conv.out_channels == 32
    assert [m.out_channels for m in (model.stage1[0], model.stage4[0])] == [64, 512]


def test_adapt_stem_kernel_formula() -> None:
    weight = torch.randn(6, 12, 3, 3)
    adapted = adapt_stem_kernel(weight, in_frames=5)
    assert adapted.shape == (6, 20, 3, 3)
    for patch in range(4):
        colour_mean = weight[:, 3 * patch : 3 * patch + 3].mean(dim=1)  # (6, 3, 3)
        for frame in range(5):
            torch.testing.assert_close(adapted[:, 5 * patch + frame], colour_mean * 3 / 5)
        # the sum over the channels of each patch is preserved
        torch.testing.assert_close(
            adapted[:, 5 * patch : 5 * patch + 5].sum(1), weight[:, 3 * patch : 3 * patch + 3].sum(1)
        )
    with pytest.raises(ValueError, match='multiple of 4'):
        adapt_stem_kernel(torch.randn(6, 10, 3, 3), 3)


@pytest.mark.parametrize('in_frames', [1, 3, 5])
@pytest.mark.parametrize('detector_keys', [True, False])
def test_pretrained_rgb_checkpoint_gives_rgb_response_to_grey(
    tmp_path: Path, in_frames: int, detector_keys: bool
) -> None:
    """Grey frames all equal give exactly the RGB model's output on that grey image as R = G = B."""
    rgb, path = rgb_checkpoint(tmp_path, detector_keys)
    init_cfg = dict(type='Pretrained', checkpoint=str(path))
    if detector_keys:
        init_cfg['prefix'] = 'backbone.'
    model = MultiFrameCSPDarknet(in_frames=in_frames, init_cfg=init_cfg, **TINY)
    model.init_weights()
    model.eval()

    rgb_state, state = rgb.state_dict(), model.state_dict()
    torch.testing.assert_close(state[STEM_KEY], adapt_stem_kernel(rgb_state[STEM_KEY], in_frames))
    for key, value in rgb_state.items():  # everything but the stem kernel loads unchanged
        if key != STEM_KEY:
            assert torch.equal(state[key], value), key

    grey = torch.rand(2, 1, SIZE, SIZE)
    with torch.no_grad():
        torch.testing.assert_close(
            model.stem(grey.expand(-1, in_frames, -1, -1)), rgb.stem(grey.expand(-1, 3, -1, -1))
        )
        for ours, theirs in zip(model(grey.expand(-1, in_frames, -1, -1)), rgb(grey.expand(-1, 3, -1, -1))):
            torch.testing.assert_close(ours, theirs)


def test_load_state_dict_keeps_a_same_shaped_stem(tmp_path: Path) -> None:
    """Resuming / load_from of an OccluNet checkpoint must not average its trained stem."""
    trained = randomise(MultiFrameCSPDarknet(in_frames=3, **TINY))
    fresh = MultiFrameCSPDarknet(in_frames=3, **TINY)
    fresh.load_state_dict(trained.state_dict())
    assert torch.equal(fresh.state_dict()[STEM_KEY], trained.state_dict()[STEM_KEY])

    # Pretrained with pretrained_in_channels=None loads it unchanged too
    path = tmp_path / 'grey.pth'
    torch.save({'state_dict': trained.state_dict()}, path)
    init_cfg = dict(type='Pretrained', checkpoint=str(path))
    exact = MultiFrameCSPDarknet(in_frames=3, pretrained_in_channels=None, init_cfg=init_cfg, **TINY)
    exact.init_weights()
    assert torch.equal(exact.state_dict()[STEM_KEY], trained.state_dict()[STEM_KEY])


def test_load_state_dict_adapts_another_frame_count() -> None:
    five = randomise(MultiFrameCSPDarknet(in_frames=5, **TINY))
    three = MultiFrameCSPDarknet(in_frames=3, **TINY)
    three.load_state_dict(five.state_dict())  # strict: no shape error
    torch.testing.assert_close(
        three.state_dict()[STEM_KEY], adapt_stem_kernel(five.state_dict()[STEM_KEY], 3)
    )


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match='in_frames'):
        MultiFrameCSPDarknet(in_frames=0, **TINY)
    with pytest.raises(ValueError, match='pretrained_in_channels'):
        MultiFrameCSPDarknet(pretrained_in_channels=0, **TINY)
