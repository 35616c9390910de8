"""Sequence-level random flip."""

from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from .box_ops import flip_boxes
from .pixels import pixel_key, set_pixels
from .randomness import check_prob, sample_rng

DIRECTIONS = ('horizontal', 'vertical')
# Applying both flips is a 180 degree rotation, recorded as mmdet does.
COMBINED = {frozenset(DIRECTIONS): 'diagonal'}


@TRANSFORMS.register_module()
class RandomSequenceFlip(BaseTransform):
    """Flip all frames and boxes of a sample together, with one random draw per sample.

    OccluNet flips left-right at the sequence level (its probability is lost in the text: 0.5 here);
    Mittmann et al. flip vertically (Albumentations' default probability 0.5). ``flip`` and
    ``flip_direction`` record what was done (``'diagonal'`` after both directions).

    Args:
        prob: probability of flipping.
        direction: ``'horizontal'`` (x -> W - x) or ``'vertical'`` (y -> H - y).

    Shape:
        img: (T, C, H, W) or frames: (n, H, W); unchanged shape.
    """

    def __init__(self, prob: float = 0.5, direction: str = 'horizontal') -> None:
        if direction not in DIRECTIONS:
            raise ValueError(f'RandomSequenceFlip: direction must be one of {DIRECTIONS}, got {direction!r}')
        self.prob = check_prob(self.__class__.__name__, prob)
        self.direction = direction

    def _record(self, results: dict) -> None:
        previous = results.get('flip_direction') if results.get('flip') else None
        if previous is None:
            results['flip'], results['flip_direction'] = True, self.direction
        elif previous == self.direction:  # flipped back
            results['flip'], results['flip_direction'] = False, None
        elif previous == 'diagonal':
            other = next(d for d in DIRECTIONS if d != self.direction)
            results['flip'], results['flip_direction'] = True, other
        else:
            results['flip'], results['flip_direction'] = True, COMBINED[frozenset((previous, self.direction))]

    def flip(self, results: dict) -> dict:
        """Flip unconditionally."""
        key = pixel_key(results)
        axis = -1 if self.direction == 'horizontal' else -2
        set_pixels(results, key, np.ascontiguousarray(np.flip(results[key], axis=axis)))
        height, width = results['img_shape']
        if 'gt_bboxes' in results:
            results['gt_bboxes'] = flip_boxes(results['gt_bboxes'], width, height, self.direction)
        self._record(results)
        return results

    def transform(self, results: dict) -> dict:
        """Flip with probability ``prob``."""
        if sample_rng().random() < self.prob:
            return self.flip(results)
        results.setdefault('flip', False)
        results.setdefault('flip_direction', None)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob}, direction={self.direction!r})'
