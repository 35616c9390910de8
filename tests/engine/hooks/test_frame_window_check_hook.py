"""FrameWindowCheckHook: training refuses a dataset whose windows are not the model's (length, target)."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from mmdet.registry import HOOKS, MODELS
from mmengine.config import Config

from occlunet.engine.hooks import FrameWindowCheckHook, check_frame_windows

REPO = Path(__file__).resolve().parents[3]


def window_dataset(
    num_frames: int = 5, target_index: int = 2, window_mode: bool = True
) -> types.SimpleNamespace:
    """What the check reads of a ``DSAVideoDataset`` (resolved ``target_index``)."""
    return types.SimpleNamespace(window_mode=window_mode, num_frames=num_frames, target_index=target_index)


def detector(num_frames: int = 5, target_index: int | None = None) -> types.SimpleNamespace:
    """A model with a real ``TemporalNeck`` (its ``target_index`` resolved from the temporal config)."""
    neck = MODELS.build(
        dict(
            type='TemporalNeck',
            in_channels=[8],
            num_frames=num_frames,
            temporal_cfg=dict(type='TemporalAttention', embed_dims=8, num_heads=2, target_index=target_index),
        )
    )
    return types.SimpleNamespace(temporal_neck=neck)


def runner(dataset: object, model: object) -> types.SimpleNamespace:
    return types.SimpleNamespace(model=model, train_dataloader=types.SimpleNamespace(dataset=dataset))


def test_same_window_passes() -> None:
    check_frame_windows(window_dataset(5, 2), detector(5, None))  # centre of 5
    check_frame_windows(window_dataset(5, 4), detector(5, -1))  # causal


def test_other_target_index_names_both_values() -> None:
    message = (
        r'train_dataloader.dataset.target_index=1 but model.temporal_neck target_index=2 \(num_frames=5\): '
        r'each window would be labelled with the boxes of its frame 1 while the model detects on its frame 2'
    )
    with pytest.raises(ValueError, match=message):
        check_frame_windows(window_dataset(5, 1), detector(5, None))


def test_other_window_length_names_both_values() -> None:
    with pytest.raises(
        ValueError, match=r'train_dataloader.dataset.num_frames=3 but model.temporal_neck num_frames=5'
    ):
        check_frame_windows(window_dataset(3, 1), detector(5, None))


def test_nothing_to_compare_passes() -> None:
    check_frame_windows(window_dataset(5, 0, window_mode=False), detector(5, None))  # whole sequences
    check_frame_windows(window_dataset(5, 0), types.SimpleNamespace(backbone=None))  # no temporal neck


def test_wrapped_datasets_are_checked() -> None:
    good, bad = window_dataset(5, 2), window_dataset(5, 4)
    concat = types.SimpleNamespace(datasets=[good, types.SimpleNamespace(dataset=bad)])  # Concat(.., Repeat)
    with pytest.raises(ValueError, match='target_index=4 but model.temporal_neck target_index=2'):
        check_frame_windows(concat, detector(5, None))


def test_hook_checks_before_training() -> None:
    hook = HOOKS.build(dict(type='FrameWindowCheckHook'))
    assert isinstance(hook, FrameWindowCheckHook)
    hook.before_train(runner(window_dataset(5, 4), detector(5, -1)))
    with pytest.raises(ValueError, match='target_index=2 but model.temporal_neck target_index=4'):
        hook.before_train(runner(window_dataset(5, 2), detector(5, -1)))


@pytest.mark.parametrize('config', ['occlunet1_dsa.py', 'occlunet2_dsa_tiny.py', 'yolox_s_minip_dsa.py'])
def test_default_runtime_registers_the_check(config: str) -> None:
    hooks = Config.fromfile(REPO / 'configs' / config).default_hooks
    assert isinstance(HOOKS.build(hooks['frame_window']), FrameWindowCheckHook)
