"""DSAVideoDataset: sample expansion (windows / whole sequences), labels, cache, DataLoader."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mmdet.registry import DATASETS, MODELS
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from torch.utils.data import DataLoader

import occlunet.dicom
from occlunet.datasets import DSAVideoDataset, window_frame_ids
from occlunet.engine.hooks import check_frame_windows
from tests.models.tiny_occlunet import occlunet_cfg

PIPELINE = [
    dict(type='LoadDSASequence'),
    dict(type='ResizeSequence', scale=(32, 32)),
    dict(type='NeighbourFrameStack', k=1),
    dict(type='PackDSAInputs'),
]


def build(dsa_data, **kwargs) -> DSAVideoDataset:
    cfg = dict(type='DSAVideoDataset', ann_file='annotations/train.json', data_root=str(dsa_data.root))
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_window_counts(dsa_data):
    ds = build(dsa_data)  # views PA + LAT: videos of 6, 5, 8 frames
    assert len(ds) == 6 + 5 + 8
    assert ds.num_videos == 3
    assert len(build(dsa_data, stride=2)) == 3 + 3 + 4
    assert len(build(dsa_data, views=None)) == 6 + 5 + 8 + 5
    assert len(build(dsa_data, views=('LAT',))) == 5
    assert len(build(dsa_data, stride=2)) == len(build(dsa_data, stride=2, num_frames=5))


def test_stride_targets(dsa_data):
    ds = build(dsa_data, stride=3, views=('PA',))
    targets = [(ds.get_data_info(i)['video_id'], ds.get_data_info(i)['frame_id']) for i in range(len(ds))]
    assert targets == [(1, 0), (1, 3), (3, 0), (3, 3), (3, 6)]


@pytest.mark.parametrize(
    'kwargs', [dict(test_mode=True), dict(num_frames=None), dict(label_mode='sequence')], ids=str
)
def test_whole_sequence_mode(dsa_data, kwargs):
    ds = build(dsa_data, **kwargs)
    assert len(ds) == 3
    info = ds.get_data_info(2)
    assert info['frame_id'] is None and info['frame_ids'] == list(range(8))


def test_edge_padding_and_labels(dsa_data):
    ds = build(dsa_data, views=('PA',), pipeline=PIPELINE)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    video1 = [i for i in infos if i['video_id'] == 1]
    assert [i['frame_id'] for i in video1] == list(range(6))
    assert video1[0]['frame_ids'] == [0, 0, 1]
    assert video1[-1]['frame_ids'] == [4, 5, 5]
    assert window_frame_ids(3, 5, 4) == [1, 2, 3, 3, 3]
    assert window_frame_ids(2, 4, 8) == [0, 1, 2, 3]  # even window: target at index T // 2
    # annotation 10 covers frames 0..2: a box on target 0 and 2, none on target 3
    boxes = {
        t: len(ds[idx]['data_samples'].gt_instances) for idx, t in enumerate(i['frame_id'] for i in infos[:6])
    }
    assert boxes == {0: 1, 1: 1, 2: 1, 3: 0, 4: 0, 5: 0}
    assert ds.get_cat_ids(0) == [0] and ds.get_cat_ids(3) == []


def test_data_info_keys(dsa_data):
    ds = build(dsa_data)
    info = ds.get_data_info(0)
    for key in (
        'video_id',
        'img_path',
        'file_name',
        'study_id',
        'patient_id',
        'view',
        'num_frames',
        'frame_id',
        'frame_ids',
        'ori_shape',
        'instances',
        'sequence_label',
        'frame_rate',
        'acquired',
    ):
        assert key in info, key
    (inst,) = info['instances']
    assert inst['bbox'] == [20.0, 24.0, 32.0, 34.0]
    assert (inst['bbox_label'], inst['frame_start'], inst['frame_end'], inst['category_id']) == (0, 0, 2, 1)
    assert info['ori_shape'] == (64, 64) and info['sequence_label'] == 1 and info['frame_rate'] == 3.0


def test_classes_and_single_class(dsa_data):
    multi = build(dsa_data, views=('LAT',))
    assert multi.metainfo['classes'] == ('M1', 'M2', 'ICA_intracranial', 'ICA_extracranial', 'unknown')
    assert multi.get_data_info(0)['instances'][0]['bbox_label'] == 1  # M2
    single = build(dsa_data, views=('LAT',), single_class=True)
    assert single.metainfo['classes'] == ('occlusion',)
    assert single.get_data_info(0)['instances'][0]['bbox_label'] == 0


def test_filter_empty(dsa_data):
    # video 1: target frames 0-2 boxed; video 2: target frames 1-4; video 3: none
    assert len(build(dsa_data, filter_empty=True)) == 3 + 4
    assert len(build(dsa_data, filter_empty=True, label_mode='sequence')) == 2
    assert len(build(dsa_data, filter_empty=True, test_mode=True)) == 3


def test_video_infos(dsa_data):
    ds = build(dsa_data)
    videos = ds.get_video_infos()
    assert [v['video_id'] for v in videos] == [1, 2, 3]
    assert [v['sequence_label'] for v in videos] == [1, 1, 0]
    videos[0]['instances'].clear()  # a copy
    assert len(ds.get_video_infos()[0]['instances']) == 1


def test_sequence_label_mode_packs_label(dsa_data):
    ds = build(dsa_data, label_mode='sequence', pipeline=PIPELINE)
    labels = [int(ds[i]['data_samples'].gt_label) for i in range(len(ds))]
    assert labels == [1, 1, 0]
    sample = ds[0]
    assert sample['inputs'].shape == (6, 3, 32, 32)
    assert sample['data_samples'].gt_instances.frame_start.tolist() == [0]


def test_cache_decodes_once(dsa_data, monkeypatch):
    calls = []
    real = occlunet.dicom.load_dsa

    def counting(path, **kwargs):
        calls.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(occlunet.dicom, 'load_dsa', counting)
    ds = build(dsa_data, pipeline=PIPELINE)
    for _ in range(2):  # two epochs
        for i in range(len(ds)):
            ds[i]
    assert sorted(calls) == sorted({ds.get_data_info(i)['img_path'] for i in range(len(ds))})
    assert ds.cache.hits > 0


def test_cache_disabled_decodes_every_window(dsa_data, monkeypatch):
    calls = []
    real = occlunet.dicom.load_dsa
    monkeypatch.setattr(occlunet.dicom, 'load_dsa', lambda path, **kw: calls.append(path) or real(path, **kw))
    ds = build(dsa_data, pipeline=PIPELINE, views=('LAT',), cache_bytes=0)
    for i in range(len(ds)):
        ds[i]
    assert len(calls) == 5


def test_window_gathers_without_copying_sequence(dsa_data):
    ds = build(dsa_data, pipeline=PIPELINE[:2], views=('PA',))
    first, second = ds[0], ds[1]
    assert first['frames'] is second['frames']  # the cached resized sequence is shared
    assert not first['frames'].flags.writeable


def test_dataloader_two_workers(dsa_data):
    ds = build(dsa_data, pipeline=PIPELINE)
    loader = DataLoader(ds, batch_size=4, num_workers=2, collate_fn=pseudo_collate, shuffle=False)
    batches = list(loader)
    assert sum(len(b['inputs']) for b in batches) == len(ds)
    batch = batches[0]
    assert isinstance(batch['inputs'], list) and batch['inputs'][0].shape == (3, 3, 32, 32)
    assert torch.stack(batch['inputs']).shape == (4, 3, 3, 32, 32)
    assert batch['data_samples'][0].metainfo['frame_ids'] == [0, 0, 1]


def test_bad_arguments(dsa_data):
    with pytest.raises(ValueError, match='label_mode'):
        build(dsa_data, label_mode='frames')
    with pytest.raises(ValueError, match='stride'):
        build(dsa_data, stride=0)
    with pytest.raises(ValueError, match='num_frames'):
        build(dsa_data, num_frames=0)
    with pytest.raises(ValueError, match=r'DSAVideoDataset: target_index=3 is out of range for num_frames=3'):
        build(dsa_data, target_index=3)
    with pytest.raises(ValueError, match='target_index=-1 needs a window length'):
        build(dsa_data, num_frames=None, target_index=-1)


@pytest.mark.parametrize(
    ('target_index', 'first', 'last'),
    [(None, [0, 0, 1], [4, 5, 5]), (-1, [0, 0, 0], [3, 4, 5]), (0, [0, 1, 2], [5, 5, 5])],
)
def test_target_index_places_the_target_in_each_window(dsa_data, target_index, first, last):
    ds = build(dsa_data, views=('PA',), target_index=target_index)
    video1 = [ds.get_data_info(i) for i in range(6)]  # video 1: 6 frames
    assert [info['frame_id'] for info in video1] == list(range(6))
    assert video1[0]['frame_ids'] == first and video1[-1]['frame_ids'] == last
    position = ds.target_index
    assert all(info['frame_ids'][position] == info['frame_id'] for info in video1)
    assert window_frame_ids(1, 3, 6, target_index=target_index) == video1[1]['frame_ids']


@pytest.mark.parametrize('clip_length', [1, 4], ids=['window', 'clip'])
def test_causal_window_trains_on_the_frame_the_model_targets(dsa_data, clip_length):
    """Dataset and model with ``target_index=-1`` (the newest frame): the network input at the position whose
    features the model's temporal neck returns is the labelled frame's, and the labels are that frame's."""
    with DefaultScope.overwrite_default_scope('mmdet'):  # the detector builds its preprocessor as in a Runner
        model = MODELS.build(occlunet_cfg('TemporalAttention', target_index=-1))
    position = model.temporal_neck.target_index
    assert position == 2
    train = build(dsa_data, pipeline=PIPELINE, target_index=-1, clip_length=clip_length)
    check_frame_windows(train, model)
    whole = build(dsa_data, pipeline=PIPELINE, test_mode=True)
    stacks = {
        whole.get_data_info(i)['video_id']: whole[i]['inputs'] for i in range(len(whole))
    }  # (n, 3, h, w)
    annotations = {v['video_id']: v['instances'] for v in whole.get_video_infos()}
    boxes_seen = 0
    for i in range(len(train)):
        sample = train[i]
        meta, gt = sample['data_samples'].metainfo, sample['data_samples'].gt_instances
        targets = meta['target_frame_ids'] if clip_length > 1 else [meta['frame_id']]
        for j, t in enumerate(targets):
            # target j's window is positions j .. j + T - 1 (j = 0 for a window sample)
            torch.testing.assert_close(sample['inputs'][j + position], stacks[meta['video_id']][t])
            keep = gt.target_index == j if clip_length > 1 else slice(None)
            on_frame = [
                a['bbox'] for a in annotations[meta['video_id']] if a['frame_start'] <= t <= a['frame_end']
            ]
            expected = torch.tensor(on_frame, dtype=torch.float32).reshape(-1, 4) * 0.5  # 64 -> 32 px
            torch.testing.assert_close(gt.bboxes[keep], expected)
            boxes_seen += len(on_frame)
    # boxes on video 1 frames 0..2 and video 2 frames 1..4; clips (of 4) overlap: targets 0-3 + 2-5, 0-3 + 1-4
    assert boxes_seen == {1: 3 + 4, 4: (3 + 1) + (3 + 4)}[clip_length]
    centred = build(dsa_data, pipeline=PIPELINE, clip_length=clip_length)
    with pytest.raises(
        ValueError, match=r'train_dataloader.dataset.target_index=1 but model.temporal_neck target_index=2'
    ):
        check_frame_windows(centred, model)


def test_pixels_are_the_right_frames(dsa_data):
    ds = build(dsa_data, pipeline=[dict(type='LoadDSASequence'), dict(type='PackDSAInputs')], views=('PA',))
    sample = ds[0]  # video 1, target 0, frames [0, 0, 1]
    inputs = sample['inputs'].numpy()
    assert inputs.shape == (3, 1, 64, 64)
    step = dsa_data.frame_step
    assert np.isclose(inputs[0, 0, 5, 5] - inputs[2, 0, 5, 5], step, atol=1e-4)
    assert np.array_equal(inputs[0], inputs[1])


FULL = [
    dict(type='LoadDSASequence'),
    dict(type='ResizeSequence', scale=(32, 32)),
    dict(type='NormalizeIntensity'),
    dict(type='NeighbourFrameStack', k=1),
    dict(type='PackDSAInputs'),
]


def test_cache_keeps_only_the_final_sequence(dsa_data):
    ds = build(dsa_data, pipeline=FULL)
    for i in range(len(ds)):
        ds[i]
    final_bytes = (6 + 5 + 8) * 32 * 32 * 4  # the resized, normalised sequences only: no 64x64 decode
    assert final_bytes <= ds.cache.nbytes < final_bytes + 1024


def test_cached_and_uncached_pipelines_agree(dsa_data):
    normalize_late = [FULL[0], FULL[1], FULL[3], FULL[2], FULL[4]]
    reference = build(dsa_data, pipeline=FULL, cache_bytes=0)
    for pipeline in (FULL, normalize_late):
        ds = build(dsa_data, pipeline=pipeline)
        for epoch in range(2):
            for i in (0, 5, 7, 18):
                assert torch.allclose(ds[i]['inputs'], reference[i]['inputs'], atol=1e-6), (
                    pipeline,
                    epoch,
                    i,
                )
