"""On-disk cache of frozen per-frame features (freeze-and-cache training, stage 2).

A cache directory holds the backbone + PAFPN features of every frame of every sequence of some splits,
computed once by ``tools/cache_features.py`` with a trained per-frame detector (stage 1)::

    DIR/manifest.json                 # FeatureCacheManifest (format version, fingerprints, shapes, videos)
    DIR/features/<video key>.npy       # float16 (S, C, P): S frames, C channels, P = sum_l H_l * W_l
    DIR/features/<video key>_hflip.npy # the same of the horizontally flipped frames (``--flip``)

The P positions are the pyramid levels flattened row-major and concatenated, finest level first; the
levels' (H_l, W_l) are ``level_shapes``. Every level has the same channel count C (YOLOX's PAFPN).

A cache is tied to the weights it was computed with (``spatial_fingerprint``: a hash of the backbone and
neck state, checked by the stage-2 model on every step) and to the frame pipeline
(``pipeline_fingerprint``: a hash of the pipeline config, checked by the dataset), so a stale cache is
refused instead of training the temporal module on features the model would never produce.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

CACHE_FORMAT_VERSION = 1
MANIFEST_NAME = 'manifest.json'
FEATURES_DIR = 'features'
FLIP_SUFFIX = '_hflip'


class FeatureCacheError(ValueError):
    """A feature cache that is missing, malformed or does not match the data or the model."""


def pipeline_fingerprint(pipeline: Sequence[Mapping[str, Any]]) -> str:
    """Hash of a pipeline config (a list of transform dicts), independent of dict key order."""
    text = json.dumps([dict(t) for t in pipeline], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def video_key(file_name: str) -> str:
    """A file-system-safe, unique name for a video's feature file (from its relative ``file_name``)."""
    return re.sub(r'[^A-Za-z0-9._-]', '__', file_name)


@dataclasses.dataclass
class CachedVideo:
    """One sequence in the cache.

    Args:
        file_name: the video's ``file_name`` in the annotation file (relative to the data root).
        num_frames: frames S.
        img_shape: (H, W) of the network input the features were computed from.
        scale_factor: (w_scale, h_scale) from DICOM to network-input pixels (``PackDSAInputs`` contract).
        flipped: a horizontally flipped copy exists.
    """

    file_name: str
    num_frames: int
    img_shape: tuple[int, int]
    scale_factor: tuple[float, float]
    flipped: bool = False

    @property
    def key(self) -> str:
        return video_key(self.file_name)


@dataclasses.dataclass
class FeatureCacheManifest:
    """What a cache directory holds and what it was computed with (``manifest.json``).

    Args:
        spatial_fingerprint: hash of the backbone + neck weights (``occlunet.models.spatial_fingerprint``).
        pipeline_fingerprint: hash of the frame pipeline config (:func:`pipeline_fingerprint`).
        channels: C of every level.
        level_shapes: (H_l, W_l) per pyramid level, finest first.
        pad_shape: (H, W) of the padded network input (``batch_input_shape`` of the head).
        videos: the cached sequences, by ``file_name``.
        config: path of the config the cache was computed with (information only).
        checkpoint: path of the checkpoint (information only).
        format_version: :data:`CACHE_FORMAT_VERSION`.
    """

    spatial_fingerprint: str
    pipeline_fingerprint: str
    channels: int
    level_shapes: list[tuple[int, int]]
    pad_shape: tuple[int, int]
    videos: dict[str, CachedVideo] = dataclasses.field(default_factory=dict)
    config: str = ''
    checkpoint: str = ''
    format_version: int = CACHE_FORMAT_VERSION

    @property
    def num_positions(self) -> int:
        """P = sum over levels of H_l * W_l."""
        return sum(h * w for h, w in self.level_shapes)

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        data['videos'] = [dataclasses.asdict(v) for v in self.videos.values()]
        return data

    @classmethod
    def from_json(cls, data: dict, source: str) -> FeatureCacheManifest:
        """Parse a manifest dict; ``source`` names the file in errors."""
        version = data.get('format_version')
        if version != CACHE_FORMAT_VERSION:
            raise FeatureCacheError(
                f'{source}: field format_version: {version!r} is not the supported version '
                f'{CACHE_FORMAT_VERSION}; rebuild the cache with tools/cache_features.py'
            )
        try:
            videos = {
                v['file_name']: CachedVideo(
                    file_name=v['file_name'],
                    num_frames=int(v['num_frames']),
                    img_shape=tuple(v['img_shape']),
                    scale_factor=tuple(v['scale_factor']),
                    flipped=bool(v.get('flipped', False)),
                )
                for v in data['videos']
            }
            return cls(
                spatial_fingerprint=str(data['spatial_fingerprint']),
                pipeline_fingerprint=str(data['pipeline_fingerprint']),
                channels=int(data['channels']),
                level_shapes=[tuple(s) for s in data['level_shapes']],
                pad_shape=tuple(data['pad_shape']),
                videos=videos,
                config=data.get('config', ''),
                checkpoint=data.get('checkpoint', ''),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise FeatureCacheError(f'{source}: malformed manifest ({type(err).__name__}: {err})') from err


def manifest_path(cache_dir: str | Path) -> Path:
    return Path(cache_dir) / MANIFEST_NAME


def feature_path(cache_dir: str | Path, video: CachedVideo, flipped: bool = False) -> Path:
    """Path of a video's feature array (its flipped copy when ``flipped``)."""
    return Path(cache_dir) / FEATURES_DIR / f'{video.key}{FLIP_SUFFIX if flipped else ""}.npy'


def read_manifest(cache_dir: str | Path) -> FeatureCacheManifest:
    """The manifest of ``cache_dir``, with a clear error if it is absent or malformed."""
    path = manifest_path(cache_dir)
    if not path.is_file():
        raise FeatureCacheError(
            f'{path}: no feature cache here; build it with python tools/cache_features.py CONFIG CKPT '
            f'--out {cache_dir}'
        )
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise FeatureCacheError(f'{path}: not valid JSON ({err})') from err
    return FeatureCacheManifest.from_json(data, str(path))


def write_manifest(cache_dir: str | Path, manifest: FeatureCacheManifest) -> Path:
    """Write ``manifest.json`` atomically (temporary file + rename)."""
    path = manifest_path(cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix('.json.tmp')
    tmp.write_text(json.dumps(manifest.to_json(), indent=1))
    tmp.replace(path)
    return path


def save_video_features(
    cache_dir: str | Path, video: CachedVideo, features: np.ndarray, flipped: bool = False
) -> Path:
    """Store one video's (S, C, P) features as float16.

    Shape:
        features: (S, C, P)
    """
    path = feature_path(cache_dir, video, flipped)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + '.tmp.npy')
    np.save(tmp, np.ascontiguousarray(features, dtype=np.float16))
    tmp.replace(path)
    return path


def load_video_features(
    cache_dir: str | Path, manifest: FeatureCacheManifest, video: CachedVideo, flipped: bool = False
) -> np.ndarray:
    """A video's features, memory-mapped (read-only), checked against the manifest.

    Shape:
        returns (S, C, P) float16
    """
    path = feature_path(cache_dir, video, flipped)
    try:
        array = np.load(path, mmap_mode='r')
    except (OSError, ValueError) as err:
        raise FeatureCacheError(
            f'{path}: cannot read the cached features of {video.file_name} ({err})'
        ) from err
    expected = (video.num_frames, manifest.channels, manifest.num_positions)
    if array.shape != expected or array.dtype != np.float16:
        raise FeatureCacheError(
            f'{path}: features of shape {array.shape} {array.dtype}, the manifest says {expected} float16'
        )
    return array
