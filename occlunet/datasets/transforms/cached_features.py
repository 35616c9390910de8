"""Training samples from a feature cache: the frozen per-frame features instead of pixels (stage 2).

``LoadCachedFeatures`` replaces ``LoadDSASequence -> ResizeSequence -> NormalizeIntensity ->
[RandomSequenceFlip] -> NeighbourFrameStack`` for a model whose backbone and neck are frozen; the boxes
get the scale (and flip) the cached features were computed with. ``PackCachedFeatures`` packs them with
the same targets and metainfo as ``PackDSAInputs``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from ..feature_cache import FeatureCacheError, FeatureCacheManifest, load_video_features, read_manifest
from .box_ops import clip_boxes, flip_boxes, instances_from_annotations, scale_boxes
from .formatting import DEFAULT_META_KEYS, PackDSAInputs
from .randomness import check_prob, sample_rng

CACHED_META_KEYS: tuple[str, ...] = (*DEFAULT_META_KEYS, 'feat_shapes', 'feature_fingerprint', 'pad_shape')
FEATURE_DIMS = 3  # (T, C, P)


@TRANSFORMS.register_module()
class LoadCachedFeatures(BaseTransform):
    """Gather the cached features of a sample's ``frame_ids`` and its boxes in network-input pixels.

    Reads ``results['feature_cache_dir']`` (set by ``CachedFeatureDataset``) and ``file_name``; the
    manifest is read once per process and directory. With probability ``flip_prob`` (and a flipped copy in
    the cache) the horizontally flipped frames' features are used and the boxes mirrored, as
    ``RandomSequenceFlip`` does to pixels.

    Adds ``features`` float16 (T, C, P), ``gt_*`` arrays, ``img_shape``, ``scale_factor``, ``flip``,
    ``flip_direction``, ``feat_shapes`` ((H_l, W_l) per level), ``pad_shape`` and ``feature_fingerprint``.

    Args:
        flip_prob: probability of the flipped copy.
    """

    def __init__(self, flip_prob: float = 0.0) -> None:
        self.flip_prob = check_prob(type(self).__name__, flip_prob)
        self._manifests: dict[str, FeatureCacheManifest] = {}

    def manifest(self, cache_dir: str) -> FeatureCacheManifest:
        if cache_dir not in self._manifests:
            self._manifests[cache_dir] = read_manifest(cache_dir)
        return self._manifests[cache_dir]

    def transform(self, results: dict) -> dict:
        cache_dir = results['feature_cache_dir']
        manifest = self.manifest(cache_dir)
        video = manifest.videos.get(results['file_name'])
        if video is None:
            raise FeatureCacheError(f'{Path(cache_dir)}: no cached features for {results["file_name"]}')
        flip = video.flipped and self.flip_prob > 0 and sample_rng().random() < self.flip_prob
        features = load_video_features(cache_dir, manifest, video, flipped=flip)
        frame_ids = np.asarray(results['frame_ids'], dtype=np.int64)
        results['features'] = np.array(features[frame_ids])  # (T, C, P), a copy out of the memory map

        height, width = video.img_shape
        scale_x, scale_y = video.scale_factor
        results.update(instances_from_annotations(results.get('instances', [])))
        boxes = clip_boxes(scale_boxes(results['gt_bboxes'], scale_x, scale_y), width, height)
        if flip:
            boxes = flip_boxes(boxes, width, height, 'horizontal')
        results['gt_bboxes'] = boxes
        results['img_shape'] = (height, width)
        results['scale_factor'] = (scale_x, scale_y)
        results['flip'] = flip
        results['flip_direction'] = 'horizontal' if flip else None
        results['feat_shapes'] = [tuple(s) for s in manifest.level_shapes]
        results['pad_shape'] = tuple(manifest.pad_shape)
        results['feature_fingerprint'] = manifest.spatial_fingerprint
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(flip_prob={self.flip_prob})'


@TRANSFORMS.register_module()
class PackCachedFeatures(PackDSAInputs):
    """``PackDSAInputs`` for cached features: ``inputs`` float16 (T, C, P); metainfo adds ``feat_shapes``,
    ``feature_fingerprint`` and ``pad_shape``. Targets as ``PackDSAInputs`` (clip mode: ``target_index``)."""

    def __init__(self, meta_keys: tuple[str, ...] = CACHED_META_KEYS) -> None:
        super().__init__(meta_keys=meta_keys)

    @staticmethod
    def _pixels(results: dict) -> np.ndarray:
        features = results['features']
        if features.ndim != FEATURE_DIMS:
            raise ValueError(f'PackCachedFeatures: expected features (T, C, P), got shape {features.shape}')
        return np.ascontiguousarray(features, dtype=np.float16)
