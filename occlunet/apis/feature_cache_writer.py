"""Compute the feature cache of freeze-and-cache training: frozen backbone + PAFPN features of every frame.

``tools/cache_features.py CONFIG CKPT --out DIR`` calls :func:`build_feature_cache`. The frames go through
the config's test pipeline (the one validation and inference use, so the cached features are exactly the
ones the trained model computes on pixels), the model's data preprocessor and ``OccluNet.sequence_features``,
one sequence at a time; the result format is :mod:`occlunet.datasets.feature_cache`.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from torch import Tensor

from ..datasets import DSAVideoDataset
from ..datasets.feature_cache import (
    CachedVideo,
    FeatureCacheError,
    FeatureCacheManifest,
    feature_path,
    manifest_path,
    pipeline_fingerprint,
    read_manifest,
    save_video_features,
    write_manifest,
)
from ..engine.data_root import leaf_datasets, set_data_root
from ..models.detectors import OccluNet

SPLIT_LOADERS = {'train': 'train_dataloader', 'val': 'val_dataloader', 'test': 'test_dataloader'}
STACK_STEP = 'NeighbourFrameStack'  # the flipped copy is flipped right before the frames are stacked
DATASET_KEYS = ('ann_file', 'data_root', 'views', 'single_class', 'metainfo')


def cache_source_pipeline(cfg: Config) -> list[dict]:
    """The pixel pipeline the cache is computed with: the config's validation pipeline."""
    return [dict(t) for t in cfg.val_dataloader.dataset.pipeline]


def flipped_pipeline(pipeline: Sequence[dict]) -> list[dict]:
    """``pipeline`` with a certain horizontal flip inserted before the frames are stacked."""
    names = [t.get('type') for t in pipeline]
    if STACK_STEP not in names:
        raise FeatureCacheError(
            f'feature cache: the pipeline has no {STACK_STEP} step to flip before: {names}'
        )
    at = names.index(STACK_STEP)
    flip = dict(type='RandomSequenceFlip', prob=1.0, direction='horizontal')
    return [*pipeline[:at], flip, *pipeline[at:]]


def split_dataset_cfg(cfg: Config, split: str) -> dict:
    """The annotation file, data root, views and class mode of a split's dataloader in ``cfg``."""
    if split not in SPLIT_LOADERS:
        raise ValueError(f'feature cache: unknown split {split!r} (expected one of {sorted(SPLIT_LOADERS)})')
    loader = cfg.get(SPLIT_LOADERS[split])
    if not loader:
        raise FeatureCacheError(f'feature cache: the config has no {SPLIT_LOADERS[split]}')
    (_, dataset), *_ = leaf_datasets(loader['dataset'], SPLIT_LOADERS[split])
    return {k: copy.deepcopy(dataset[k]) for k in DATASET_KEYS if k in dataset}


def flatten_levels(feats: Sequence[Tensor]) -> Tensor:
    """Concatenate the pyramid levels' positions, finest first.

    Shape:
        feats: per level (S, C, H_l, W_l) -> (S, C, sum_l H_l * W_l)
    """
    return torch.cat([f.flatten(2) for f in feats], dim=2)


def load_spatial_model(cfg: Config, checkpoint: str | os.PathLike) -> OccluNet:
    """The config's OccluNet with the checkpoint's backbone and neck (the rest may be absent), eval mode."""
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
        model = MODELS.build(cfg.model)
    if not isinstance(model, OccluNet):
        raise FeatureCacheError(f'feature cache: the config builds {type(model).__name__}, not an OccluNet')
    state = model.state_dict()
    ckpt = load_checkpoint(model, os.fspath(checkpoint), map_location='cpu', strict=False, logger='silent')
    weights = ckpt.get('state_dict', ckpt)
    missing = [k for k in state if k.startswith(('backbone.', 'neck.')) and k not in weights]
    if missing:
        raise FeatureCacheError(
            f'{checkpoint}: field state_dict: {len(missing)} backbone/neck weights missing, '
            f'e.g. {missing[:3]}'
        )
    return model.eval()


def build_feature_cache(
    config: str | os.PathLike | Config,
    checkpoint: str | os.PathLike,
    out_dir: str | os.PathLike,
    splits: Sequence[str] = ('train', 'val'),
    flip: bool = False,
    data_root: str | None = None,
    cfg_options: dict | None = None,
    overwrite: bool = False,
    log: Callable[[str], None] | None = print,
) -> FeatureCacheManifest:
    """Write the frozen features of every sequence of ``splits`` to ``out_dir`` and return the manifest.

    An existing cache of the same weights and pipeline is extended (videos already there are recomputed);
    one of other weights or another pipeline is refused unless ``overwrite`` (its feature files are then
    deleted first).

    Args:
        config: the detector config (its model's backbone + neck, its validation pipeline and splits).
        checkpoint: stage-1 weights (backbone and neck needed; the rest is ignored).
        out_dir: cache directory.
        splits: any of ``train``, ``val``, ``test`` (the config's dataloaders' annotation files).
        flip: also cache the horizontally flipped frames (training augmentation).
        data_root: replaces every dataloader's ``data_root``.
        cfg_options: merged into the config.
        overwrite: replace a cache of other weights or another pipeline.
        log: progress messages (None: silent).
    """
    cfg = copy.deepcopy(config) if isinstance(config, Config) else Config.fromfile(os.fspath(config))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if data_root is not None:
        set_data_root(cfg, data_root)
    model = load_spatial_model(cfg, checkpoint)
    source = cache_source_pipeline(cfg)
    manifest = FeatureCacheManifest(
        spatial_fingerprint=model.spatial_fingerprint(),
        pipeline_fingerprint=pipeline_fingerprint(source),
        channels=0,
        level_shapes=[],
        pad_shape=(0, 0),
        config=str(config if not isinstance(config, Config) else config.filename),
        checkpoint=os.fspath(checkpoint),
    )
    out_dir = Path(out_dir)
    if manifest_path(out_dir).exists():
        old = read_manifest(out_dir)
        same = (old.spatial_fingerprint, old.pipeline_fingerprint) == (
            manifest.spatial_fingerprint,
            manifest.pipeline_fingerprint,
        )
        if same:
            manifest.videos = dict(old.videos)
        elif not overwrite:
            raise FeatureCacheError(
                f'{manifest_path(out_dir)}: a cache of other weights or another pipeline is here '
                f'(weights {old.spatial_fingerprint}, pipeline {old.pipeline_fingerprint}); use --overwrite '
                'or another --out'
            )
        else:
            for video in old.videos.values():
                for flipped in (False, True):
                    feature_path(out_dir, video, flipped).unlink(missing_ok=True)
    layout = None
    pipelines = {False: source, True: flipped_pipeline(source)} if flip else {False: source}
    for split in splits:
        dataset_cfg = split_dataset_cfg(cfg, split)
        datasets = {
            flipped: DSAVideoDataset(**dataset_cfg, pipeline=p, test_mode=True, num_frames=None)
            for flipped, p in pipelines.items()
        }
        start, frames = time.monotonic(), 0
        for index in range(len(datasets[False])):
            video = None
            for flipped, dataset in datasets.items():
                feats, meta, layout = _sequence_features(model, dataset[index])
                if video is None:
                    video = CachedVideo(
                        file_name=meta['file_name'],
                        num_frames=int(feats.shape[0]),
                        img_shape=tuple(meta['img_shape']),
                        scale_factor=tuple(float(s) for s in meta['scale_factor']),
                        flipped=flip,
                    )
                save_video_features(out_dir, video, feats.numpy(), flipped=flipped)
            manifest.videos[video.file_name] = video
            frames += video.num_frames
        if log is not None:
            seconds = time.monotonic() - start
            log(
                f'feature cache: {split}: {len(datasets[False])} sequences, {frames} frames '
                f'in {seconds:.0f} s'
            )
    if layout is None:
        raise FeatureCacheError(f'feature cache: no sequence in the splits {list(splits)}')
    manifest.channels, manifest.level_shapes, manifest.pad_shape = layout
    write_manifest(out_dir, manifest)
    return manifest


@torch.no_grad()
def _sequence_features(model: OccluNet, data: dict) -> tuple[Tensor, dict, tuple]:
    """(S, C, P) float16 features of one packed sequence, its metainfo and the layout (channels, level
    shapes, padded input shape).

    Shape:
        returns (S, C, P)
    """
    batch = model.data_preprocessor(pseudo_collate([data]), False)
    sample = batch['data_samples'][0]
    meta = sample.metainfo
    frames = batch['inputs'][0][: meta['num_valid_frames']]  # (S, C_in, H, W)
    feats = model.sequence_features(frames)  # per level (S, C, H_l, W_l)
    channels = {f.shape[1] for f in feats}
    if len(channels) != 1:
        raise FeatureCacheError(
            f'feature cache: the neck gives levels of different widths {sorted(channels)}'
        )
    layout = (channels.pop(), [tuple(f.shape[-2:]) for f in feats], tuple(meta['batch_input_shape']))
    return flatten_levels(feats).half(), meta, layout
