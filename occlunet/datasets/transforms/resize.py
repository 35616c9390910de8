"""Resize every frame of a sequence (and its boxes) to the network input size."""

from __future__ import annotations

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from ..sequence_cache import CacheUser
from .box_ops import clip_boxes, scale_boxes
from .pixels import map_planes, pixel_key, set_pixels


def resize_planes(
    array: np.ndarray, width: int, height: int, interpolation: int = cv2.INTER_CUBIC
) -> np.ndarray:
    """Every (H, W) plane resized to (height, width), clipped to [0, 1] (bicubic overshoots).

    Shape:
        array: (..., H, W) -> (..., height, width)
    """
    out = map_planes(array, lambda p: cv2.resize(p, (width, height), interpolation=interpolation))
    return np.clip(out, 0.0, 1.0, out=out)


@TRANSFORMS.register_module()
class ResizeSequence(CacheUser, BaseTransform):
    """Bicubic resize of all frames to ``scale`` = (width, height), as OccluNet and Mittmann et al. do.

    With a cache attached (inside a dataset) the resized whole sequence is cached under the decoded
    sequence's key plus the size, so the windows of one video resize it once. Boxes (``gt_bboxes``, xyxy)
    are scaled and clipped; ``scale_factor`` = (w_scale, h_scale) accumulates the total scale from DICOM
    pixels, so predictions map back with ``bbox / [w_scale, h_scale, w_scale, h_scale]``. ``img_shape``
    becomes (height, width). A sequence already at the target size is left untouched.

    Args:
        scale: target (width, height); 512 x 512 in both papers.
        keep_ratio: scale by one factor so that the frame fits inside ``scale`` (the result may be smaller
            than ``scale`` along one side; the data preprocessor pads the batch).

    Shape:
        frames: (n, H, W) -> (n, height, width); or img: (T, C, H, W) -> (T, C, height, width).
    """

    def __init__(self, scale: tuple[int, int] = (512, 512), keep_ratio: bool = False) -> None:
        if len(scale) != 2 or min(scale) <= 0:
            raise ValueError(f'ResizeSequence: scale must be (width, height) > 0, got {scale}')
        self.scale = (int(scale[0]), int(scale[1]))
        self.keep_ratio = keep_ratio

    def target_size(self, width: int, height: int) -> tuple[int, int]:
        """The output (width, height) for an input of (width, height)."""
        if not self.keep_ratio:
            return self.scale
        factor = min(self.scale[0] / width, self.scale[1] / height)
        return max(1, round(width * factor)), max(1, round(height * factor))

    def transform(self, results: dict) -> dict:
        """Resize the pixels and boxes of one sample."""
        key = pixel_key(results)
        height, width = results['img_shape']
        new_w, new_h = self.target_size(width, height)
        if key == 'frames':  # the whole sequence: shared by all windows of the video, cached read-only
            source = self.upstream_frames(results)
            cache_key = results.get('cache_key')
            if (new_w, new_h) == (width, height):
                self.output_frames(results, cache_key, source)
                return results
            new_key = None if cache_key is None else (*cache_key, 'resized', new_w, new_h)
            self.output_frames(results, new_key, lambda: resize_planes(source(), new_w, new_h))
            results['img_shape'] = (new_h, new_w)
        elif (new_w, new_h) == (width, height):
            return results
        else:
            set_pixels(results, key, resize_planes(results[key], new_w, new_h))
        scale_x, scale_y = new_w / width, new_h / height
        if 'gt_bboxes' in results:
            results['gt_bboxes'] = clip_boxes(
                scale_boxes(results['gt_bboxes'], scale_x, scale_y), new_w, new_h
            )
        old_x, old_y = results.get('scale_factor', (1.0, 1.0))
        results['scale_factor'] = (old_x * scale_x, old_y * scale_y)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(scale={self.scale}, keep_ratio={self.keep_ratio})'
