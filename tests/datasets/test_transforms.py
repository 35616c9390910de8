"""Sequence transforms: shapes, known answers for boxes and pixels, one random draw per sample."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mmdet.registry import TRANSFORMS
from mmdet.structures import DetDataSample

from occlunet.datasets.transforms import (
    FrameChunkStack,
    MinIntensityProjection,
    NeighbourFrameStack,
    NormalizeIntensity,
    PackDSAInputs,
    RandomContrast,
    RandomGaussianBlur,
    RandomGaussianNoise,
    RandomHalfResolution,
    RandomSequenceFlip,
    RandomShiftScaleRotate,
    ResizeSequence,
)

H, W = 16, 24


def make_results(n: int = 5, frame_ids=None, frame_id=None, boxes=((2.0, 3.0, 10.0, 7.0),), ranges=((0, 2),)):
    """Hand-made results as LoadDSASequence leaves them: frame t is filled with (t + 1) / 10 plus a ramp."""
    ramp = np.linspace(0, 0.05, W, dtype=np.float32)[None, :]
    frames = np.stack([np.full((H, W), (t + 1) / 10, np.float32) + ramp for t in range(n)])
    frames.setflags(write=False)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    return {
        'img_path': '/data/x.dcm',
        'frames': frames,
        'frame_ids': list(range(n)) if frame_ids is None else list(frame_ids),
        'frame_id': frame_id,
        'num_frames': n,
        'ori_shape': (H, W),
        'img_shape': (H, W),
        'scale_factor': (1.0, 1.0),
        'flip': False,
        'flip_direction': None,
        'gt_bboxes': boxes,
        'gt_bboxes_labels': np.arange(len(boxes), dtype=np.int64),
        'gt_frame_start': np.asarray([r[0] for r in ranges], np.int64),
        'gt_frame_end': np.asarray([r[1] for r in ranges], np.int64),
        'sequence_label': 1,
        'video_id': 7,
    }


def test_resize_boxes_and_back():
    results = ResizeSequence(scale=(48, 8))(make_results())
    assert results['frames'].shape == (5, 8, 48)
    assert results['img_shape'] == (8, 48)
    assert results['scale_factor'] == (2.0, 0.5)
    np.testing.assert_allclose(results['gt_bboxes'], [[4.0, 1.5, 20.0, 3.5]])
    w_scale, h_scale = results['scale_factor']
    np.testing.assert_allclose(results['gt_bboxes'] / [w_scale, h_scale, w_scale, h_scale], [[2, 3, 10, 7]])
    assert results['frames'].min() >= 0 and results['frames'].max() <= 1


def test_resize_keep_ratio_and_noop():
    results = ResizeSequence(scale=(12, 12), keep_ratio=True)(make_results())
    assert results['img_shape'] == (8, 12) and results['scale_factor'] == (0.5, 0.5)
    original = make_results()
    same = ResizeSequence(scale=(W, H))(original)
    assert same['frames'] is original['frames']


def test_neighbour_frame_stack_with_replicate():
    results = NeighbourFrameStack(k=1)(make_results(n=5, frame_ids=[0, 0, 1], frame_id=0))
    img = results['img']
    assert img.shape == (3, 3, H, W) and img.dtype == np.float32 and img.flags.writeable
    assert results['channel_frame_ids'] == [[0, 0, 1], [0, 0, 1], [0, 1, 2]]
    frames = results['frames']
    for t, channels in enumerate(results['channel_frame_ids']):
        for c, f in enumerate(channels):
            np.testing.assert_array_equal(img[t, c], frames[f])
    end = NeighbourFrameStack(k=2)(make_results(n=5, frame_ids=[3, 4, 4], frame_id=4))
    assert end['channel_frame_ids'][-1] == [2, 3, 4, 4, 4]
    whole = NeighbourFrameStack(k=1)(make_results(n=5))
    assert whole['img'].shape == (5, 3, H, W)


def test_frame_chunk_stack_repeats_last():
    results = FrameChunkStack(size=3)(make_results(n=5))
    assert results['img'].shape == (2, 3, H, W)
    assert results['channel_frame_ids'] == [[0, 1, 2], [3, 4, 4]]
    np.testing.assert_array_equal(results['img'][1, 2], results['frames'][4])


def test_minip_is_min_over_time():
    base = make_results(n=4)
    frames = np.random.default_rng(0).random((4, H, W), dtype=np.float32)
    base['frames'] = frames
    results = MinIntensityProjection(channels=3)(base)
    assert results['img'].shape == (1, 3, H, W)
    for c in range(3):
        np.testing.assert_array_equal(results['img'][0, c], frames.min(axis=0))
    with pytest.raises(ValueError, match='whole-sequence'):
        MinIntensityProjection()(make_results(frame_ids=[0, 0, 1], frame_id=0))


@pytest.mark.parametrize('stacked', [False, True])
def test_horizontal_flip(stacked):
    results = make_results()
    if stacked:
        results = NeighbourFrameStack(k=1)(results)
    key = 'img' if stacked else 'frames'
    before = results[key].copy()
    out = RandomSequenceFlip(prob=1.0, direction='horizontal')(results)
    np.testing.assert_array_equal(out[key], before[..., ::-1])
    np.testing.assert_allclose(out['gt_bboxes'], [[W - 10.0, 3.0, W - 2.0, 7.0]])
    assert out['flip'] and out['flip_direction'] == 'horizontal'
    assert not stacked or out['frames'] is results['frames']  # the cached sequence is never flipped in place


def test_vertical_flip_and_composition():
    results = NeighbourFrameStack(k=0)(make_results())
    before = results['img'].copy()
    out = RandomSequenceFlip(prob=1.0, direction='vertical')(results)
    np.testing.assert_array_equal(out['img'], before[..., ::-1, :])
    np.testing.assert_allclose(out['gt_bboxes'], [[2.0, H - 7.0, 10.0, H - 3.0]])
    out = RandomSequenceFlip(prob=1.0, direction='horizontal')(out)
    assert out['flip_direction'] == 'diagonal'
    never = RandomSequenceFlip(prob=0.0)(make_results())
    assert not never['flip']


def test_flip_is_one_draw_for_all_frames():
    np.random.seed(0)  # noqa: NPY002  (the transforms draw from numpy's global, mmengine-seeded state)
    for _ in range(10):
        results = NeighbourFrameStack(k=1)(make_results())
        before = results['img'].copy()
        out = RandomSequenceFlip(prob=0.5)(results)
        expected = before[..., ::-1] if out['flip'] else before
        np.testing.assert_array_equal(out['img'], expected)


def test_shift_scale_rotate_boxes():
    t = RandomShiftScaleRotate()
    results = NeighbourFrameStack(k=0)(make_results())
    # pure shift by +4 px in x, +2 px in y
    mat = t.matrix(W, H, angle=0.0, scale=1.0, shift_x=4 / W, shift_y=2 / H)
    out = t.warp(results, mat)
    np.testing.assert_allclose(out['gt_bboxes'], [[6.0, 5.0, 14.0, 9.0]], atol=1e-4)
    assert out['img'].shape == (5, 1, H, W)
    # a box shifted out of the frame is dropped with its label and frame range
    results = NeighbourFrameStack(k=0)(
        make_results(boxes=((1, 1, 4, 4), (10, 5, 14, 9)), ranges=((0, 1), (2, 3)))
    )
    out = t.warp(results, t.matrix(W, H, angle=0.0, scale=1.0, shift_x=-6 / W, shift_y=0.0))
    np.testing.assert_allclose(out['gt_bboxes'], [[4.0, 5.0, 8.0, 9.0]], atol=1e-4)
    assert out['gt_bboxes_labels'].tolist() == [1] and out['gt_frame_start'].tolist() == [2]


def test_rotation_by_90_degrees_moves_box_with_pixels():
    size = 20
    frames = np.zeros((2, size, size), np.float32)
    frames[:, 2:6, 10:16] = 1.0  # bright box x 10..16, y 2..6
    results = {**make_results(n=2, boxes=((10, 2, 16, 6),)), 'frames': frames, 'img_shape': (size, size)}
    t = RandomShiftScaleRotate(border_mode='constant')
    out = t.warp(
        NeighbourFrameStack(k=0)(results), t.matrix(size, size, angle=90.0, scale=1.0, shift_x=0, shift_y=0)
    )
    ys, xs = np.nonzero(out['img'][0, 0] > 0.5)
    np.testing.assert_allclose(
        out['gt_bboxes'][0], [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], atol=1e-4
    )


@pytest.mark.parametrize(
    'transform',
    [
        RandomContrast(prob=1.0),
        RandomGaussianBlur(prob=1.0),
        RandomGaussianNoise(prob=1.0),
        RandomHalfResolution(prob=1.0),
    ],
    ids=lambda t: type(t).__name__,
)
def test_intensity_augmentations(transform):
    np.random.seed(1)  # noqa: NPY002  (the transforms draw from numpy's global, mmengine-seeded state)
    results = NeighbourFrameStack(k=1)(make_results())
    boxes = results['gt_bboxes'].copy()
    out = transform(results)
    assert out['img'].shape == (5, 3, H, W) and out['img'].dtype == np.float32
    assert out['img'].min() >= 0 and out['img'].max() <= 1
    np.testing.assert_array_equal(out['gt_bboxes'], boxes)
    skipped = type(transform)(prob=0.0)(NeighbourFrameStack(k=1)(make_results()))
    np.testing.assert_array_equal(skipped['img'], NeighbourFrameStack(k=1)(make_results())['img'])


def test_contrast_one_factor_for_all_frames():
    np.random.seed(3)  # noqa: NPY002  (the transforms draw from numpy's global, mmengine-seeded state)
    results = NeighbourFrameStack(k=0)(make_results())
    before = results['img'].copy()
    out = RandomContrast(limit=0.5, prob=1.0)(results)['img']
    mean = before.mean()
    ratios = (out - mean) / (before - mean)
    assert np.allclose(ratios, ratios.flat[0], atol=1e-4)


def test_normalize_percentile_stretch():
    results = make_results()
    out = NormalizeIntensity(percentiles=(0, 100), stats_step=1)(results)
    frames = out['frames']
    assert np.isclose(frames.min(), 0) and np.isclose(frames.max(), 1)
    results = NeighbourFrameStack(k=1)(make_results())
    out = NormalizeIntensity(percentiles=(0, 100), mean=0.5, std=0.25, stats_step=1)(results)
    low, high = out['intensity_range']
    assert np.isclose(low, 0.1) and np.isclose(high, 0.55)
    np.testing.assert_allclose(
        out['img'],
        ((results['frames'][out['channel_frame_ids']] - low) / (high - low) - 0.5) / 0.25,
        atol=1e-5,
    )
    with pytest.raises(ValueError, match='percentiles'):
        NormalizeIntensity(percentiles=(90, 10))


def test_pack_window_mode():
    results = NeighbourFrameStack(k=1)(
        make_results(
            n=6, frame_ids=[2, 3, 4], frame_id=3, boxes=((1, 1, 4, 4), (5, 5, 9, 9)), ranges=((0, 2), (3, 5))
        )
    )
    results.update(file_name='dicom/x.dcm', study_id='S1', view='PA', frame_rate=3.0)
    packed = PackDSAInputs()(results)
    inputs, sample = packed['inputs'], packed['data_samples']
    assert inputs.shape == (3, 3, H, W) and inputs.dtype == torch.float32 and inputs.is_contiguous()
    assert isinstance(sample, DetDataSample)
    gt = sample.gt_instances
    assert gt.bboxes.dtype == torch.float32 and gt.labels.dtype == torch.long
    assert gt.bboxes.tolist() == [[5.0, 5.0, 9.0, 9.0]] and gt.labels.tolist() == [1]  # only the target's box
    assert 'frame_start' not in gt
    assert sample.gt_label.tolist() == [1]
    meta = sample.metainfo
    for key in (
        'video_id',
        'img_path',
        'file_name',
        'study_id',
        'view',
        'frame_id',
        'frame_ids',
        'num_frames',
        'ori_shape',
        'img_shape',
        'scale_factor',
        'flip',
        'flip_direction',
        'sequence_label',
        'frame_rate',
    ):
        assert key in meta, key
    assert meta['frame_id'] == 3 and meta['frame_ids'] == [2, 3, 4] and meta['img_shape'] == (H, W)


def test_pack_whole_sequence_and_empty():
    packed = PackDSAInputs()(NeighbourFrameStack(k=1)(make_results(n=4, boxes=(), ranges=())))
    gt = packed['data_samples'].gt_instances
    assert packed['inputs'].shape == (4, 3, H, W)
    assert gt.bboxes.shape == (0, 4) and gt.labels.shape == (0,)
    assert gt.frame_start.shape == (0,) and gt.frame_end.dtype == torch.long
    plain = PackDSAInputs()(make_results(n=4, frame_ids=[0, 0, 1], frame_id=0))
    assert plain['inputs'].shape == (3, 1, H, W)
    assert plain['data_samples'].gt_instances.bboxes.tolist() == [[2.0, 3.0, 10.0, 7.0]]


def test_registry_build():
    for cfg in [
        dict(type='ResizeSequence', scale=(32, 32)),
        dict(type='RandomSequenceFlip', direction='vertical'),
        dict(type='RandomShiftScaleRotate'),
        dict(type='NormalizeIntensity'),
        dict(type='FrameChunkStack'),
        dict(type='MinIntensityProjection', channels=3),
        dict(type='PackDSAInputs'),
    ]:
        assert TRANSFORMS.build(cfg) is not None
    with pytest.raises(ValueError, match='direction'):
        RandomSequenceFlip(direction='diagonal')
    with pytest.raises(ValueError, match='prob'):
        RandomContrast(prob=1.5)
