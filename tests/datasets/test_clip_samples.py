"""DSAVideoDataset clip mode: K consecutive targets per training sample, the same windows as window mode."""

from __future__ import annotations

import pytest
import torch
from mmdet.registry import DATASETS

from occlunet.datasets import DSAVideoDataset, clip_frame_ids, clip_target_starts, window_frame_ids

PIPELINE = [
    dict(type='LoadDSASequence'),
    dict(type='ResizeSequence', scale=(32, 32)),
    dict(type='NeighbourFrameStack', k=1),
    dict(type='PackDSAInputs'),
]


def build(dsa_data, **kwargs) -> DSAVideoDataset:
    cfg = dict(
        type='DSAVideoDataset',
        ann_file='annotations/train.json',
        data_root=str(dsa_data.root),
        pipeline=PIPELINE,
        single_class=True,
    )
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_clip_starts_tile_the_sequence_and_end_on_the_last_frame():
    assert clip_target_starts(8, 3) == [0, 3, 5]  # last clip moved back: targets 5, 6, 7
    assert clip_target_starts(6, 3) == [0, 3]
    assert clip_target_starts(2, 4) == [0]  # shorter than a clip: one clip of all frames
    assert clip_frame_ids(0, 3, 3, 8) == [0, 0, 1, 2, 3]
    assert clip_frame_ids(5, 3, 3, 8) == [4, 5, 6, 7, 7]
    assert clip_frame_ids(0, 2, 3, 2) == [0, 0, 1, 1]
    assert clip_frame_ids(0, 3, 3, 8, target_index=-1) == [0, 0, 0, 1, 2]  # causal: past context only
    assert clip_frame_ids(5, 3, 3, 8, target_index=-1) == [3, 4, 5, 6, 7]


def test_clip_samples_cover_every_target(dsa_data):
    ds = build(dsa_data, clip_length=3)  # PA + LAT videos of 6, 5, 8 frames
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert len(ds) == 2 + 2 + 3
    for info in infos:
        assert info['frame_id'] is None
        assert len(info['frame_ids']) == len(info['target_frame_ids']) + 2
    by_video: dict[int, set[int]] = {}
    for info in infos:
        by_video.setdefault(info['video_id'], set()).update(info['target_frame_ids'])
    assert by_video == {1: set(range(6)), 2: set(range(5)), 3: set(range(8))}


@pytest.mark.parametrize('target_index', [None, -1], ids=['centre', 'causal'])
def test_each_clip_target_equals_its_window_sample(dsa_data, target_index):
    """Pixels of target j's window (clip inputs j .. j+T-1) and its boxes equal the window-mode sample."""
    windows = build(dsa_data, target_index=target_index)
    clips = build(dsa_data, clip_length=4, target_index=target_index)
    window_of = {
        (windows.get_data_info(i)['video_id'], windows.get_data_info(i)['frame_id']): i
        for i in range(len(windows))
    }
    checked = 0
    for c in range(len(clips)):
        clip = clips[c]
        sample = clip['data_samples']
        gt = sample.gt_instances
        for j, t in enumerate(sample.metainfo['target_frame_ids']):
            window = windows[window_of[(sample.metainfo['video_id'], t)]]
            torch.testing.assert_close(clip['inputs'][j : j + 3], window['inputs'])
            keep = gt.target_index == j
            torch.testing.assert_close(gt.bboxes[keep], window['data_samples'].gt_instances.bboxes)
            torch.testing.assert_close(gt.labels[keep], window['data_samples'].gt_instances.labels)
            assert window['data_samples'].metainfo['frame_ids'] == window_frame_ids(
                t, 3, sample.metainfo['num_frames'], target_index
            )
            checked += 1
    assert checked == 2 * 4 + 2 * 4 + 2 * 4  # 6, 5, 8 frames: clips start at [0, 2], [0, 1], [0, 4]
    assert clips.get_cat_ids(0) == [0]  # video 1, targets 0..3: annotation on frames 0..2


def test_filter_empty_keeps_clips_with_a_box(dsa_data):
    clips = build(dsa_data, clip_length=3, filter_empty=True)
    kept = [
        (clips.get_data_info(i)['video_id'], clips.get_data_info(i)['target_frame_ids'])
        for i in range(len(clips))
    ]
    # video 1: box on frames 0..2 (clip 0-2 kept, 3-5 not); video 2: frames 1..4 (both); video 3: none
    assert kept == [(1, [0, 1, 2]), (2, [0, 1, 2]), (2, [2, 3, 4])]


@pytest.mark.parametrize('kwargs', [dict(clip_length=0), dict(clip_length=2, stride=2)], ids=str)
def test_bad_clip_arguments(dsa_data, kwargs):
    with pytest.raises(ValueError, match='clip_length'):
        build(dsa_data, **kwargs)
