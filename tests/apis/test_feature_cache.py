"""Freeze-and-cache training: the feature cache equals the live features, a stage-2 step never runs the
backbone and gives the live loss, and a stale cache is refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

from occlunet.apis import build_feature_cache
from occlunet.apis.feature_cache_writer import cache_source_pipeline, flatten_levels, load_spatial_model
from occlunet.datasets import FeatureCacheError, read_manifest
from occlunet.datasets.feature_cache import feature_path, load_video_features
from occlunet.synth import generate_dataset

from .conftest import REPO, save_init_checkpoint

CONFIG = REPO / 'configs' / 'occlunet1_dsa_tiny.py'
SIZE = 64
FP16_TOL = dict(rtol=2e-2, atol=2e-2)


def small_cfg(root: Path) -> Config:
    """The tiny OccluNet1 config at 64 px on a generated data set (every split = all videos)."""
    cfg = Config.fromfile(str(CONFIG))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(root) + '/'
        cfg[loader].dataset.ann_file = 'annotations/all.json'
    for step in cfg.val_dataloader.dataset.pipeline:
        if step['type'] == 'ResizeSequence':
            step['scale'] = (SIZE, SIZE)
    cfg.test_dataloader.dataset.pipeline = copy.deepcopy(cfg.val_dataloader.dataset.pipeline)
    return cfg


def stage2_dataset_cfg(cfg: Config, cache_dir: Path, **extra) -> dict:
    dataset = cfg.train_dataloader.dataset
    return dict(
        type='CachedFeatureDataset',
        cache_dir=str(cache_dir),
        source_pipeline=cache_source_pipeline(cfg),
        ann_file=dataset.ann_file,
        data_root=dataset.data_root,
        num_frames=3,
        clip_length=2,
        single_class=True,
        metainfo=dict(classes=('occlusion',)),
        pipeline=[dict(type='LoadCachedFeatures', flip_prob=0.0), dict(type='PackCachedFeatures')],
        **extra,
    )


def build(registry, cfg: dict):
    with DefaultScope.overwrite_default_scope('mmdet'):
        return registry.build(cfg)


@pytest.fixture(scope='module')
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp('cache_dsa')
    generate_dataset(
        root, 2, size=SIZE, seed=3, progress=False, frames_min=5, frames_max=7, occlusion_fraction=1.0
    )
    return root


@pytest.fixture(scope='module')
def stage1_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_init_checkpoint(CONFIG, tmp_path_factory.mktemp('stage1') / 'stage1.pth', seed=1)


@pytest.fixture(scope='module')
def cache(data_root: Path, stage1_ckpt: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp('cache')
    build_feature_cache(small_cfg(data_root), stage1_ckpt, out, splits=('train',), flip=True, log=None)
    return out


def live_features(cfg: Config, ckpt: Path, flip: bool = False) -> dict[str, torch.Tensor]:
    """Per video: backbone + neck features of the pixel pipeline, (S, C, P) float32."""
    model = load_spatial_model(cfg, ckpt)
    pipeline = cache_source_pipeline(cfg)
    if flip:
        pipeline.insert(3, dict(type='RandomSequenceFlip', prob=1.0, direction='horizontal'))
    dataset = build(
        DATASETS,
        dict(
            type='DSAVideoDataset',
            ann_file='annotations/all.json',
            data_root=cfg.train_dataloader.dataset.data_root,
            pipeline=pipeline,
            test_mode=True,
            num_frames=None,
        ),
    )
    out = {}
    with torch.no_grad():
        for i in range(len(dataset)):
            batch = model.data_preprocessor(pseudo_collate([dataset[i]]), False)
            meta = batch['data_samples'][0].metainfo
            frames = batch['inputs'][0][: meta['num_valid_frames']]
            out[meta['file_name']] = flatten_levels(model.sequence_features(frames))
    return out


def test_cached_features_equal_the_live_ones(data_root: Path, stage1_ckpt: Path, cache: Path) -> None:
    manifest = read_manifest(cache)
    ann = json.loads((data_root / 'annotations' / 'all.json').read_text())
    assert sorted(manifest.videos) == sorted(v['file_name'] for v in ann['videos'])
    assert manifest.level_shapes == [(8, 8), (4, 4), (2, 2)]  # strides 8, 16, 32 of 64 px
    assert manifest.pad_shape == (SIZE, SIZE)
    cfg = small_cfg(data_root)
    for flip in (False, True):
        live = live_features(cfg, stage1_ckpt, flip=flip)
        for name, video in manifest.videos.items():
            cached = load_video_features(cache, manifest, video, flipped=flip)
            assert cached.dtype == np.float16 and cached.shape == (video.num_frames, manifest.channels, 84)
            torch.testing.assert_close(torch.from_numpy(np.array(cached)).float(), live[name], **FP16_TOL)


def stage2_model(cfg: Config, ckpt: Path):
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg['freeze_spatial'] = True
    model = build(MODELS, model_cfg)
    state = torch.load(ckpt, weights_only=True)['state_dict']
    model.load_state_dict(state, strict=False)
    return model.train()


def batch_loss(model, dataset, indices) -> dict:
    data = model.data_preprocessor(pseudo_collate([dataset[i] for i in indices]), True)
    return model.loss(data['inputs'], data['data_samples'])


def test_stage2_step_never_runs_the_backbone_and_equals_the_live_loss(
    data_root: Path, stage1_ckpt: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = small_cfg(data_root)
    cached_ds = build(DATASETS, stage2_dataset_cfg(cfg, cache))
    live_ds_cfg = stage2_dataset_cfg(cfg, cache)
    for key in ('type', 'cache_dir', 'source_pipeline'):
        live_ds_cfg.pop(key)
    live_ds_cfg.update(type='DSAVideoDataset', pipeline=cache_source_pipeline(cfg))
    live_ds = build(DATASETS, live_ds_cfg)
    assert len(cached_ds) == len(live_ds) > 2
    assert [cached_ds.get_data_info(i)['target_frame_ids'] for i in range(len(live_ds))] == [
        live_ds.get_data_info(i)['target_frame_ids'] for i in range(len(live_ds))
    ]
    model = stage2_model(cfg, stage1_ckpt)
    assert not model.backbone.training and not any(p.requires_grad for p in model.neck.parameters())
    indices = [0, len(cached_ds) - 1]
    torch.manual_seed(0)
    live = batch_loss(model, live_ds, indices)

    def refuse(*args, **kwargs):
        raise AssertionError('the backbone ran on a cached step')

    monkeypatch.setattr(model.backbone, 'forward', refuse)
    torch.manual_seed(0)
    cached = batch_loss(model, cached_ds, indices)
    for key in ('loss_cls', 'loss_bbox', 'loss_obj'):
        assert torch.isfinite(cached[key])
        torch.testing.assert_close(cached[key], live[key], rtol=2e-2, atol=2e-2)
    sum(cached.values()).backward()
    assert all(p.grad is None for p in model.backbone.parameters())
    assert any(p.grad is not None for p in model.temporal_neck.parameters())


def test_flipped_copy_mirrors_the_boxes(data_root: Path, cache: Path) -> None:
    cfg = small_cfg(data_root)
    plain = build(DATASETS, stage2_dataset_cfg(cfg, cache))
    flip_cfg = stage2_dataset_cfg(cfg, cache)
    flip_cfg['pipeline'] = [dict(type='LoadCachedFeatures', flip_prob=1.0), dict(type='PackCachedFeatures')]
    flipped = build(DATASETS, flip_cfg)
    index = next(i for i in range(len(plain)) if len(plain[i]['data_samples'].gt_instances))
    a, b = plain[index]['data_samples'], flipped[index]['data_samples']
    assert b.metainfo['flip'] and not a.metainfo['flip']
    width = a.metainfo['img_shape'][1]
    expected = a.gt_instances.bboxes.clone()
    expected[:, 0], expected[:, 2] = width - a.gt_instances.bboxes[:, 2], width - a.gt_instances.bboxes[:, 0]
    torch.testing.assert_close(b.gt_instances.bboxes, expected)
    assert not torch.equal(plain[index]['inputs'], flipped[index]['inputs'])


def test_stale_weights_are_refused(data_root: Path, stage1_ckpt: Path, cache: Path) -> None:
    cfg = small_cfg(data_root)
    dataset = build(DATASETS, stage2_dataset_cfg(cfg, cache))
    model = stage2_model(cfg, stage1_ckpt)
    batch_loss(model, dataset, [0])  # matching weights: accepted
    with torch.no_grad():
        next(model.backbone.parameters()).add_(1e-3)  # in place: the memoised fingerprint must notice
    with pytest.raises(ValueError, match='stale cache'):
        batch_loss(model, dataset, [0])


def test_unfrozen_model_refuses_cached_features(data_root: Path, stage1_ckpt: Path, cache: Path) -> None:
    cfg = small_cfg(data_root)
    dataset = build(DATASETS, stage2_dataset_cfg(cfg, cache))
    model = build(MODELS, copy.deepcopy(cfg.model))
    with pytest.raises(ValueError, match='freeze_spatial=True'):
        batch_loss(model, dataset, [0])


def test_stale_pipeline_and_missing_videos_are_refused(data_root: Path, cache: Path, tmp_path: Path) -> None:
    cfg = small_cfg(data_root)
    other = stage2_dataset_cfg(cfg, cache)
    other['source_pipeline'][1]['scale'] = (32, 32)
    with pytest.raises(FeatureCacheError, match='pipeline_fingerprint'):
        build(DATASETS, other)
    manifest = json.loads((cache / 'manifest.json').read_text())
    manifest['videos'] = manifest['videos'][1:]
    partial = tmp_path / 'partial'
    partial.mkdir()
    (partial / 'manifest.json').write_text(json.dumps(manifest))
    with pytest.raises(FeatureCacheError, match='not in the cache'):
        build(DATASETS, stage2_dataset_cfg(cfg, partial))
    with pytest.raises(FeatureCacheError, match='no feature cache here'):
        build(DATASETS, stage2_dataset_cfg(cfg, tmp_path / 'absent'))


def test_a_cache_of_other_weights_is_not_overwritten(data_root: Path, cache: Path, tmp_path: Path) -> None:
    other_ckpt = save_init_checkpoint(CONFIG, tmp_path / 'other.pth', seed=2)
    cfg = small_cfg(data_root)
    with pytest.raises(FeatureCacheError, match='--overwrite'):
        build_feature_cache(cfg, other_ckpt, cache, splits=('train',), log=None)
    out = tmp_path / 'copy'
    build_feature_cache(cfg, other_ckpt, out, splits=('train',), log=None)
    first = next(iter(read_manifest(out).videos.values()))
    before = feature_path(out, first).stat().st_mtime_ns
    manifest = build_feature_cache(cfg, other_ckpt, out, splits=('train',), overwrite=True, log=None)
    assert feature_path(out, first).stat().st_mtime_ns >= before
    assert not feature_path(out, first, flipped=True).exists()
    assert len(manifest.videos) == len(read_manifest(cache).videos)
