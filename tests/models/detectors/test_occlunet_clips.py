"""OccluNet training clips: K targets per sample, each frame through the backbone once, the windows' loss."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from mmengine.registry import DefaultScope

from tests.models.detectors.test_occlunet import (
    IN_FRAMES,
    SIZE,
    TEMPORAL_TYPES,
    T,
    build,
    calibrated,
    window_sample,
    windows_of,
)


@pytest.fixture(autouse=True)
def mmdet_scope() -> Iterator[None]:
    """The detector builds its data preprocessor through mmengine's registry, as under a Runner."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


@pytest.mark.parametrize('temporal_type', TEMPORAL_TYPES)
def test_clip_loss_equals_the_loss_of_its_windows(temporal_type: str) -> None:
    """A training clip of K targets (K + T - 1 frames, each through the backbone once) gives the same loss
    as the K window samples of those targets; clips of different lengths batch together."""
    model = calibrated(build(temporal_type=temporal_type, perturb_temporal=True))  # eval: BN fixed
    gen = torch.Generator().manual_seed(1)
    sequence = torch.rand(7, IN_FRAMES, SIZE, SIZE, generator=gen)  # 7 frames, neighbour stacks
    box = [[20.0, 20.0, 36.0, 34.0]]
    boxes_of = {t: box if t in (1, 2, 3) else [] for t in range(7)}  # occlusion visible on frames 1..3

    clip_inputs, clip_samples, window_inputs, window_samples = [], [], [], []
    for start, num_targets in ((0, 4), (4, 3)):
        targets = list(range(start, start + num_targets))
        frames = [min(max(start - T // 2 + i, 0), 6) for i in range(num_targets + T - 1)]
        clip_inputs.append(sequence[frames])
        sample = window_sample(0, [b for t in targets for b in boxes_of[t]])
        sample.gt_instances.target_index = torch.tensor(
            [j for j, t in enumerate(targets) for _ in boxes_of[t]], dtype=torch.long
        )
        sample.set_metainfo(dict(frame_id=None, target_frame_ids=targets, frame_ids=frames))
        clip_samples.append(sample)
        for t in targets:
            window_inputs.append(windows_of(sequence, [t])[0])
            window_samples.append(window_sample(t, boxes_of[t]))

    clip_data = model.data_preprocessor(dict(inputs=clip_inputs, data_samples=clip_samples), True)
    assert clip_data['inputs'].shape[:2] == (2, 6)  # the shorter clip is padded, never computed
    window_data = model.data_preprocessor(dict(inputs=window_inputs, data_samples=window_samples), True)
    calls = []
    hook = model.backbone.register_forward_hook(lambda m, args, out: calls.append(args[0].shape[0]))
    with torch.no_grad():
        clip_loss = model(**clip_data, mode='loss')
        assert calls == [6 + 5]  # frames of both clips, once each
        window_loss = model(**window_data, mode='loss')
    hook.remove()
    for key in ('loss_cls', 'loss_bbox', 'loss_obj'):
        torch.testing.assert_close(clip_loss[key], window_loss[key], rtol=1e-4, atol=1e-5)

    mixed = clip_samples[:1] + window_samples[:1]
    with pytest.raises(ValueError, match='mixes'):
        model.loss(torch.zeros(2, 6, IN_FRAMES, SIZE, SIZE), mixed)
    with pytest.raises(ValueError, match='cannot be predicted'):
        model.predict(clip_data['inputs'], clip_samples)
