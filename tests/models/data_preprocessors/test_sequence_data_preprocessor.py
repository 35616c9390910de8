"""SequenceDataPreprocessor: stacking, T and H/W padding, normalisation, metainfo."""

from __future__ import annotations

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample

from occlunet.models.data_preprocessors import SequenceDataPreprocessor


def samples(n: int) -> list[DetDataSample]:
    out = []
    for i in range(n):
        sample = DetDataSample()
        sample.set_metainfo(dict(video_id=i, frame_id=None, img_shape=(0, 0)))
        out.append(sample)
    return out


def test_pads_time_and_space_and_records_metainfo() -> None:
    pre = SequenceDataPreprocessor(mean=0.5, std=0.25, pad_size_divisor=32, pad_value=-7.0)
    a = torch.rand(5, 3, 40, 64)
    b = torch.rand(3, 3, 64, 50)
    out = pre(dict(inputs=[a, b], data_samples=samples(2)))
    x = out['inputs']
    assert x.shape == (2, 5, 3, 64, 64) and x.dtype == torch.float32
    torch.testing.assert_close(x[0, :, :, :40, :64], (a - 0.5) / 0.25)
    torch.testing.assert_close(x[1, :3, :, :64, :50], (b - 0.5) / 0.25)
    assert (x[0, :, :, 40:] == -7.0).all()  # bottom padding
    assert (x[1, :3, :, :, 50:] == -7.0).all()  # right padding
    assert (x[1, 3:] == 0).all()  # frames after the end of the shorter sequence
    metas = [s.metainfo for s in out['data_samples']]
    assert [m['num_valid_frames'] for m in metas] == [5, 3]
    assert all(m['batch_input_shape'] == (64, 64) and m['pad_shape'] == (64, 64) for m in metas)
    assert [m['video_id'] for m in metas] == [0, 1]  # existing metainfo kept


def test_rounds_up_to_the_divisor_and_accepts_a_5d_tensor() -> None:
    pre = MODELS.build(dict(type='SequenceDataPreprocessor', pad_size_divisor=32))
    x = torch.rand(2, 3, 1, 33, 65)
    out = pre(dict(inputs=x, data_samples=samples(2)))
    assert out['inputs'].shape == (2, 3, 1, 64, 96)
    torch.testing.assert_close(out['inputs'][:, :, :, :33, :65], x)  # no mean/std: unchanged
    assert out['data_samples'][0].num_valid_frames == 3
    divisible = SequenceDataPreprocessor(pad_size_divisor=1)(dict(inputs=[torch.rand(1, 1, 33, 65)]))
    assert divisible['inputs'].shape == (1, 1, 1, 33, 65) and divisible['data_samples'] is None


def test_per_channel_mean_and_std() -> None:
    pre = SequenceDataPreprocessor(mean=[0.0, 1.0, 2.0], std=[1.0, 2.0, 4.0], pad_size_divisor=1)
    x = torch.ones(2, 3, 4, 4)
    out = pre(dict(inputs=[x]))['inputs'][0]
    torch.testing.assert_close(out[:, 0], torch.full((2, 4, 4), 1.0))
    torch.testing.assert_close(out[:, 1], torch.full((2, 4, 4), 0.0))
    torch.testing.assert_close(out[:, 2], torch.full((2, 4, 4), -0.25))


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(std=0.0), 'std must be > 0'),
        (dict(std=[1.0, -1.0]), 'std must be > 0'),
        (dict(pad_size_divisor=0), 'pad_size_divisor'),
    ],
)
def test_bad_arguments_raise(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SequenceDataPreprocessor(**kwargs)


def test_bad_inputs_raise() -> None:
    pre = SequenceDataPreprocessor(mean=[0.0, 0.0], pad_size_divisor=1)
    with pytest.raises(ValueError, match=r'\(T, C, H, W\)'):
        pre(dict(inputs=[torch.rand(2, 4, 4)]))
    with pytest.raises(ValueError, match='tensor of shape'):
        pre(dict(inputs=torch.rand(2, 2, 4, 4)))
    with pytest.raises(ValueError, match='empty batch'):
        pre(dict(inputs=[]))
    with pytest.raises(ValueError, match='different channel counts'):
        pre(dict(inputs=[torch.rand(1, 2, 4, 4), torch.rand(1, 1, 4, 4)]))
    with pytest.raises(ValueError, match='mean has 2 values for 3'):
        pre(dict(inputs=[torch.rand(1, 3, 4, 4)]))
    with pytest.raises(ValueError, match='2 inputs but 1 data samples'):
        pre(dict(inputs=[torch.rand(1, 2, 4, 4)] * 2, data_samples=samples(1)))


def test_cached_features_are_stacked_without_normalisation_or_spatial_padding() -> None:
    pre = SequenceDataPreprocessor(mean=0.5, std=0.25, pad_size_divisor=32)
    a = torch.rand(4, 8, 21).half()  # (T, C, P) float16 from PackCachedFeatures
    b = torch.rand(2, 8, 21).half()
    batch = samples(2)
    for sample in batch:
        sample.set_metainfo(dict(feat_shapes=[(4, 4), (2, 2), (1, 1)], pad_shape=(32, 32)))
    out = pre(dict(inputs=[a, b], data_samples=batch))
    x = out['inputs']
    assert x.shape == (2, 4, 8, 21) and x.dtype == torch.float32
    torch.testing.assert_close(x[0], a.float())
    torch.testing.assert_close(x[1, :2], b.float())
    assert not x[1, 2:].any()  # time padding, marked by num_valid_frames
    assert [s.metainfo['num_valid_frames'] for s in out['data_samples']] == [4, 2]
    assert out['data_samples'][0].metainfo['batch_input_shape'] == (32, 32)
    with pytest.raises(ValueError, match='different shapes'):
        pre(dict(inputs=[a, torch.rand(4, 8, 20).half()], data_samples=batch))
