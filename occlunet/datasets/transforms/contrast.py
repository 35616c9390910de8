"""Random contrast change (Mittmann et al.)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from .pixels import pixel_key, set_pixels
from .randomness import check_prob, sample_rng


def clip_to(array: np.ndarray, clip_range: Sequence[float] | None) -> np.ndarray:
    """``array`` clipped in place to ``clip_range`` (None: unchanged)."""
    if clip_range is not None:
        np.clip(array, clip_range[0], clip_range[1], out=array)
    return array


@TRANSFORMS.register_module()
class RandomContrast(BaseTransform):
    """Scale intensities about the sample's mean by one random factor for all frames.

    ``x <- mean + alpha * (x - mean)`` with ``alpha`` in ``[1 - limit, 1 + limit]``. Mittmann et al.
    ("changing the contrast", Albumentations) give no values: ``limit`` and ``prob`` are Albumentations'
    ``RandomContrast`` defaults (0.2, 0.5).

    Args:
        limit: maximum relative contrast change.
        prob: probability of applying.
        clip_range: range to clip to afterwards (None: no clipping; use it after mean/std normalisation).

    Shape:
        img: (T, C, H, W) or frames: (n, H, W); unchanged shape.
    """

    def __init__(
        self, limit: float = 0.2, prob: float = 0.5, clip_range: Sequence[float] | None = (0.0, 1.0)
    ) -> None:
        if not 0 <= limit < 1:
            raise ValueError(f'RandomContrast: limit must be in [0, 1), got {limit}')
        self.limit = limit
        self.prob = check_prob(self.__class__.__name__, prob)
        self.clip_range = clip_range

    def transform(self, results: dict) -> dict:
        """Change the contrast with probability ``prob``."""
        rng = sample_rng()
        if rng.random() >= self.prob:
            return results
        alpha = np.float32(rng.uniform(1 - self.limit, 1 + self.limit))
        key = pixel_key(results)
        pixels = results[key]
        mean = np.float32(pixels.mean())
        set_pixels(results, key, clip_to((pixels - mean) * alpha + mean, self.clip_range))
        return results

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(limit={self.limit}, prob={self.prob}, clip_range={self.clip_range})'
        )
