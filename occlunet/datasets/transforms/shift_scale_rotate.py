"""Random shift-scale-rotate of a whole sample (Mittmann et al.'s geometric augmentation)."""

from __future__ import annotations

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from .box_ops import affine_boxes, clip_boxes, filter_instances, non_empty
from .pixels import map_planes, pixel_key, set_pixels
from .randomness import check_prob, sample_rng

BORDER_MODES = {
    'constant': cv2.BORDER_CONSTANT,
    'replicate': cv2.BORDER_REPLICATE,
    'reflect_101': cv2.BORDER_REFLECT_101,
}


@TRANSFORMS.register_module()
class RandomShiftScaleRotate(BaseTransform):
    """One random affine map (shift, isotropic scale, rotation about the centre) for all frames.

    Mittmann et al. list "shift-scale-rotate transformations" (Albumentations) without parameters; the
    defaults are Albumentations' ``ShiftScaleRotate`` defaults. Boxes: the four corners are mapped, the
    enclosing box is clipped to the frame, and boxes that leave the frame entirely are dropped together
    with their labels and frame ranges.

    Args:
        shift_limit: shift drawn in ``[-limit, limit]`` times the width / height (Albumentations: 0.0625).
        scale_limit: scale drawn in ``[1 - limit, 1 + limit]`` (Albumentations: 0.1).
        rotate_limit: angle in degrees drawn in ``[-limit, limit]`` (Albumentations: 45).
        prob: probability of applying (Albumentations: 0.5).
        border_mode: ``'reflect_101'`` (Albumentations), ``'replicate'`` or ``'constant'``.
        border_value: fill value for ``'constant'``.

    Shape:
        img: (T, C, H, W) or frames: (n, H, W); unchanged shape.
    """

    def __init__(
        self,
        shift_limit: float = 0.0625,
        scale_limit: float = 0.1,
        rotate_limit: float = 45.0,
        prob: float = 0.5,
        border_mode: str = 'reflect_101',
        border_value: float = 0.0,
    ) -> None:
        if border_mode not in BORDER_MODES:
            raise ValueError(f'RandomShiftScaleRotate: border_mode must be one of {list(BORDER_MODES)}')
        if min(shift_limit, scale_limit, rotate_limit) < 0 or scale_limit >= 1:
            raise ValueError('RandomShiftScaleRotate: limits must be >= 0 and scale_limit < 1')
        self.shift_limit = shift_limit
        self.scale_limit = scale_limit
        self.rotate_limit = rotate_limit
        self.prob = check_prob(self.__class__.__name__, prob)
        self.border_mode = border_mode
        self.border_value = border_value

    @staticmethod
    def matrix(
        width: int, height: int, angle: float, scale: float, shift_x: float, shift_y: float
    ) -> np.ndarray:
        """(2, 3) cv2 matrix: rotate by ``angle`` degrees and scale about the centre, then shift by
        fractions of the frame size."""
        centre = ((width - 1) / 2, (height - 1) / 2)
        mat = cv2.getRotationMatrix2D(centre, angle, scale)
        mat[0, 2] += shift_x * width
        mat[1, 2] += shift_y * height
        return mat

    def warp(self, results: dict, mat: np.ndarray) -> dict:
        """Apply the affine map ``mat`` to pixels and boxes."""
        key = pixel_key(results)
        height, width = results['img_shape']
        flags = dict(
            flags=cv2.INTER_LINEAR, borderMode=BORDER_MODES[self.border_mode], borderValue=self.border_value
        )
        warped = map_planes(results[key], lambda p: cv2.warpAffine(p, mat, (width, height), **flags))
        set_pixels(results, key, warped.astype(np.float32, copy=False))
        if 'gt_bboxes' in results:
            boxes = clip_boxes(affine_boxes(results['gt_bboxes'], mat), width, height)
            results['gt_bboxes'] = boxes
            filter_instances(results, non_empty(boxes))
        return results

    def transform(self, results: dict) -> dict:
        """Draw the parameters once and warp the sample with probability ``prob``."""
        rng = sample_rng()
        if rng.random() >= self.prob:
            return results
        angle = rng.uniform(-self.rotate_limit, self.rotate_limit)
        scale = rng.uniform(1 - self.scale_limit, 1 + self.scale_limit)
        shift_x, shift_y = rng.uniform(-self.shift_limit, self.shift_limit, size=2)
        height, width = results['img_shape']
        return self.warp(results, self.matrix(width, height, angle, scale, shift_x, shift_y))

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(shift_limit={self.shift_limit}, scale_limit={self.scale_limit}, '
            f'rotate_limit={self.rotate_limit}, prob={self.prob}, border_mode={self.border_mode!r})'
        )
