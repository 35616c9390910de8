"""Stack each frame with its temporal neighbours as channels (OccluNet's input)."""

from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from ...structures import window_frame_indices
from .pixels import set_pixels


@TRANSFORMS.register_module()
class NeighbourFrameStack(BaseTransform):
    """Frame ``t`` of the sample becomes channels ``t - k ... t + k`` of the whole sequence.

    OccluNet (Sec. 2.2): "the current and neighboring frames were passed as input channels". The channels
    of frame t are the frame window of ``2k + 1`` frames with t at position k
    (:func:`~occlunet.structures.window_frame_indices`): neighbours beyond the sequence ends repeat the
    first / last frame (replicate padding). Only the frames the sample needs are gathered from
    ``results['frames']`` (the cached sequence is never copied whole); ``results['img']`` is a new
    writable array and ``results['channel_frame_ids']`` (T, 2k+1) records which sequence frame each
    channel holds.

    Args:
        k: neighbours on each side; ``2k + 1`` channels (k=1 gives the 3 channels of a pretrained
            backbone).

    Shape:
        frames: (n, H, W), frame_ids: T indices -> img: (T, 2k+1, H, W) float32; T = n for whole
        sequences.
    """

    makes_sample_image = True  # puts results['img']: cache users after it work on the sample

    def __init__(self, k: int = 1) -> None:
        if not isinstance(k, int) or k < 0:
            raise ValueError(f'NeighbourFrameStack: k must be an integer >= 0, got {k!r}')
        self.k = k

    def transform(self, results: dict) -> dict:
        """Gather the channel stack of every frame of the sample."""
        frames = results['frames']
        num_frames = frames.shape[0]
        channels = 2 * self.k + 1
        index = window_frame_indices(num_frames, channels, self.k, results['frame_ids']).numpy()  # (T, 2k+1)
        set_pixels(results, 'img', frames[index].astype(np.float32, copy=False))  # (T, 2k+1, H, W)
        results['channel_frame_ids'] = index.tolist()
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(k={self.k})'
