"""Random Gaussian blur (Mittmann et al.)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from .pixels import map_planes, pixel_key, set_pixels
from .randomness import check_prob, sample_rng

MIN_KERNEL = 3  # the smallest kernel that blurs


@TRANSFORMS.register_module()
class RandomGaussianBlur(BaseTransform):
    """Blur every frame with one randomly sized Gaussian kernel.

    Mittmann et al. ("blurring the images", Albumentations) give no values: the odd kernel size is drawn
    from ``kernel_range`` = (3, 7) (Albumentations' blur limits) with sigma derived from the size as in
    OpenCV, ``prob`` = 0.5 (Albumentations' default).

    Args:
        kernel_range: (min, max) odd kernel sizes.
        prob: probability of applying.

    Shape:
        img: (T, C, H, W) or frames: (n, H, W); unchanged shape.
    """

    def __init__(self, kernel_range: Sequence[int] = (3, 7), prob: float = 0.5) -> None:
        low, high = kernel_range
        if low < MIN_KERNEL or high < low or low % 2 == 0 or high % 2 == 0:
            raise ValueError(
                f'RandomGaussianBlur: kernel_range must be odd sizes {MIN_KERNEL} <= min <= max, '
                f'got {kernel_range}'
            )
        self.kernel_range = (int(low), int(high))
        self.prob = check_prob(self.__class__.__name__, prob)

    def transform(self, results: dict) -> dict:
        """Blur with probability ``prob``."""
        rng = sample_rng()
        if rng.random() >= self.prob:
            return results
        size = int(rng.choice(np.arange(self.kernel_range[0], self.kernel_range[1] + 1, 2)))
        key = pixel_key(results)
        blurred = map_planes(results[key], lambda p: cv2.GaussianBlur(p, (size, size), 0))
        set_pixels(results, key, blurred.astype(np.float32, copy=False))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(kernel_range={self.kernel_range}, prob={self.prob})'
