"""Random loss of resolution: down-scale and back up (Mittmann et al.)."""

from __future__ import annotations

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from .pixels import map_planes, pixel_key, set_pixels
from .randomness import check_prob, sample_rng


@TRANSFORMS.register_module()
class RandomHalfResolution(BaseTransform):
    """Down-scale every frame by ``factor`` (area averaging) and back to its size (bilinear).

    Mittmann et al.: "down-scaling the images to the half resolution" (``factor`` = 0.5); the
    probability is not given: 0.5 (Albumentations' ``Downscale`` default). Boxes are unchanged.

    Args:
        prob: probability of applying.
        factor: down-scaling factor in (0, 1).

    Shape:
        img: (T, C, H, W) or frames: (n, H, W); unchanged shape.
    """

    def __init__(self, prob: float = 0.5, factor: float = 0.5) -> None:
        if not 0 < factor < 1:
            raise ValueError(f'RandomHalfResolution: factor must be in (0, 1), got {factor}')
        self.prob = check_prob(self.__class__.__name__, prob)
        self.factor = factor

    def transform(self, results: dict) -> dict:
        """Degrade with probability ``prob``."""
        rng = sample_rng()
        if rng.random() >= self.prob:
            return results
        key = pixel_key(results)
        height, width = results['img_shape']
        small = (max(1, round(width * self.factor)), max(1, round(height * self.factor)))

        def degrade(plane: np.ndarray) -> np.ndarray:
            down = cv2.resize(plane, small, interpolation=cv2.INTER_AREA)
            return cv2.resize(down, (width, height), interpolation=cv2.INTER_LINEAR)

        set_pixels(results, key, map_planes(results[key], degrade).astype(np.float32, copy=False))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob}, factor={self.factor})'
