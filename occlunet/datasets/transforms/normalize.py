"""Per-sequence intensity normalisation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from ..sequence_cache import CacheUser
from .pixels import pixel_key, set_pixels

# Below this intensity range a sequence is treated as constant (stretching would amplify noise only).
MIN_RANGE = 1e-6


@TRANSFORMS.register_module()
class NormalizeIntensity(CacheUser, BaseTransform):
    """Percentile stretch of the whole sequence to [0, 1], then an optional ``(x - mean) / std``.

    Both papers normalise the DSA before the network without saying how; a robust per-sequence stretch
    removes the scanner- and dose-dependent grey levels: ``lo, hi`` = the ``percentiles`` of all pixels of
    the whole sequence (``results['frames']``, sampled every ``stats_step`` pixels along H and W), then
    ``x <- clip((x - lo) / (hi - lo), 0, 1)``. The same ``lo, hi`` apply to every frame and window of the
    sequence (sequence-consistent), and to a MinIP. Statistics (and, when applied to ``frames``, the
    normalised sequence) are cached per sequence.

    Put it after ``ResizeSequence``; before or after the frame stacking. Keep ``mean``/``std`` None when
    the data preprocessor normalises, or when intensity augmentations (which clip to [0, 1]) follow.

    Args:
        percentiles: (low, high) in percent. 0.5/99.5 is our choice (not given in either paper).
        mean: subtracted after the stretch; None: skip.
        std: divided after the stretch; None: skip.
        stats_step: spatial sampling step for the percentiles (1: every pixel; 4 is 16x faster and
            changes the percentiles by far less than the 12-bit quantisation).

    Shape:
        frames: (n, H, W) or img: (T, C, H, W); unchanged shape, float32.
    """

    def __init__(
        self,
        percentiles: Sequence[float] = (0.5, 99.5),
        mean: float | None = None,
        std: float | None = None,
        stats_step: int = 4,
    ) -> None:
        low, high = percentiles
        if not 0 <= low < high <= 100:
            raise ValueError(
                f'NormalizeIntensity: need 0 <= low < high <= 100, got percentiles={percentiles}'
            )
        if std is not None and std <= 0:
            raise ValueError(f'NormalizeIntensity: std must be > 0, got {std}')
        if stats_step < 1:
            raise ValueError(f'NormalizeIntensity: stats_step must be >= 1, got {stats_step}')
        self.percentiles = (float(low), float(high))
        self.mean = mean
        self.std = std
        self.stats_step = int(stats_step)

    def _range_of(self, frames: np.ndarray) -> np.ndarray:
        sample = frames[..., :: self.stats_step, :: self.stats_step]
        return np.percentile(sample, self.percentiles).astype(np.float64)

    def _stats_key(self, cache_key: tuple | None) -> tuple | None:
        return None if cache_key is None else (*cache_key, 'percentiles', self.percentiles, self.stats_step)

    def apply(self, array: np.ndarray, low: float, high: float) -> np.ndarray:
        """The normalised copy of ``array``."""
        out = (array - np.float32(low)) / np.float32(max(high - low, MIN_RANGE))
        np.clip(out, 0.0, 1.0, out=out)
        if self.mean is not None:
            out -= np.float32(self.mean)
        if self.std is not None:
            out /= np.float32(self.std)
        return out.astype(np.float32, copy=False)

    def transform(self, results: dict) -> dict:
        """Normalise the sample's pixels with its whole sequence's range."""
        cache_key = results.get('cache_key')
        if pixel_key(results) == 'frames':  # before stacking: normalise (and cache) the whole sequence
            source = self.upstream_frames(results)
            low, high = self.cached(self._stats_key(cache_key), lambda: self._range_of(source()))
            params = ('normalized', self.percentiles, self.stats_step, self.mean, self.std)
            new_key = None if cache_key is None else (*cache_key, *params)
            self.output_frames(results, new_key, lambda: self.apply(source(), low, high))
        else:  # after stacking: the range of the whole sequence, applied to the sample only
            frames = results.get('frames', results['img'])
            low, high = self.cached(self._stats_key(cache_key), lambda: self._range_of(frames))
            set_pixels(results, 'img', self.apply(results['img'], low, high))
        results['intensity_range'] = (float(low), float(high))
        return results

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(percentiles={self.percentiles}, mean={self.mean}, std={self.std}, '
            f'stats_step={self.stats_step})'
        )
