"""Minimum intensity projection (MinIP) of a whole sequence: the MinIP baseline's input."""

from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from .pixels import set_pixels


@TRANSFORMS.register_module()
class MinIntensityProjection(BaseTransform):
    """Collapse the sequence to one image: the minimum over time of every pixel (vessels are dark, so the
    MinIP shows every vessel the contrast ever filled; OccluNet's YOLO baseline, Exp. 1-2).

    Needs whole-sequence samples (dataset with ``num_frames=None``, ``test_mode=True`` or
    ``label_mode='sequence'``); the sample's GT boxes stay the sequence's boxes, whatever frames they
    are visible on. The image is replicated to ``channels`` channels.

    Args:
        channels: output channels (3 for a backbone pretrained on RGB).

    Shape:
        frames: (n, H, W) -> img: (1, channels, H, W) float32.
    """

    makes_sample_image = True  # puts results['img']: cache users after it work on the sample

    def __init__(self, channels: int = 1) -> None:
        if not isinstance(channels, int) or channels < 1:
            raise ValueError(f'MinIntensityProjection: channels must be an integer >= 1, got {channels!r}')
        self.channels = channels

    def transform(self, results: dict) -> dict:
        """Project the sequence."""
        if results.get('frame_id') is not None:
            raise ValueError(
                f'MinIntensityProjection needs whole-sequence samples, got a window with target frame '
                f'{results["frame_id"]} of {results.get("img_path")}: build the dataset with num_frames=None'
            )
        frames = results['frames']
        frame_ids = results['frame_ids']
        if list(frame_ids) != list(range(frames.shape[0])):
            frames = frames[np.asarray(frame_ids, dtype=np.int64)]  # (T, H, W)
        minip = frames.min(axis=0)  # (H, W)
        img = np.repeat(minip[None, None], self.channels, axis=1).astype(np.float32, copy=False)
        set_pixels(results, 'img', img)  # (1, channels, H, W)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(channels={self.channels})'
