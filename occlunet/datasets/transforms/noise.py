"""Random additive Gaussian noise (Mittmann et al.)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from .contrast import clip_to
from .pixels import pixel_key, set_pixels
from .randomness import check_prob, sample_rng


@TRANSFORMS.register_module()
class RandomGaussianNoise(BaseTransform):
    """Add zero-mean Gaussian noise; one standard deviation per sample, fresh noise per pixel and plane.

    Mittmann et al. ("adding noise", Albumentations) give no values: Albumentations' ``GaussNoise``
    default variance 10-50 on the 0-255 scale is a standard deviation of about 0.012-0.028 on [0, 1],
    ``prob`` = 0.5 (its default).

    Args:
        std_range: (min, max) noise standard deviation on the [0, 1] intensity scale.
        prob: probability of applying.
        clip_range: range to clip to afterwards (None: no clipping).

    Shape:
        img: (T, C, H, W) or frames: (n, H, W); unchanged shape.
    """

    def __init__(
        self,
        std_range: Sequence[float] = (0.012, 0.028),
        prob: float = 0.5,
        clip_range: Sequence[float] | None = (0.0, 1.0),
    ) -> None:
        low, high = std_range
        if not 0 <= low <= high:
            raise ValueError(f'RandomGaussianNoise: need 0 <= min <= max, got std_range={std_range}')
        self.std_range = (float(low), float(high))
        self.prob = check_prob(self.__class__.__name__, prob)
        self.clip_range = clip_range

    def transform(self, results: dict) -> dict:
        """Add noise with probability ``prob``."""
        rng = sample_rng()
        if rng.random() >= self.prob:
            return results
        std = rng.uniform(*self.std_range)
        key = pixel_key(results)
        pixels = results[key]
        noisy = pixels + rng.standard_normal(pixels.shape, dtype=np.float32) * np.float32(std)
        set_pixels(results, key, clip_to(noisy, self.clip_range))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(std_range={self.std_range}, prob={self.prob})'
