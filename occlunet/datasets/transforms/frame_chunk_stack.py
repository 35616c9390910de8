"""Cut a sequence into consecutive chunks of frames stacked as channels (Mittmann et al.'s input)."""

from __future__ import annotations

import math

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from .pixels import set_pixels


@TRANSFORMS.register_module()
class FrameChunkStack(BaseTransform):
    """Non-overlapping stacks of ``size`` consecutive frames, the last frame repeated to fill the end.

    Mittmann et al. (Methods): "we combined the first three single-channel grayscale images of the DSA
    sequence to a three-channel image, ... prepared the following three grayscale images as next input
    ... the last image was repeatedly appended in those cases, where the sequence length was not divisible
    by three". Works on the sample's ``frame_ids`` (the whole sequence for sequence samples).
    ``results['channel_frame_ids']`` (T', size) records the frame of each channel.

    Args:
        size: frames per chunk = channels (3 in the paper).

    Shape:
        frames: (n, H, W), frame_ids: T indices -> img: (ceil(T / size), size, H, W) float32.
    """

    makes_sample_image = True  # puts results['img']: cache users after it work on the sample

    def __init__(self, size: int = 3) -> None:
        if not isinstance(size, int) or size < 1:
            raise ValueError(f'FrameChunkStack: size must be an integer >= 1, got {size!r}')
        self.size = size

    def transform(self, results: dict) -> dict:
        """Gather the chunks of the sample's frames."""
        frame_ids = np.asarray(results['frame_ids'], dtype=np.int64)  # (T,)
        num_chunks = math.ceil(len(frame_ids) / self.size)
        padded = np.full(num_chunks * self.size, frame_ids[-1], dtype=np.int64)
        padded[: len(frame_ids)] = frame_ids
        index = padded.reshape(num_chunks, self.size)  # (T', size)
        set_pixels(
            results, 'img', results['frames'][index].astype(np.float32, copy=False)
        )  # (T', size, H, W)
        results['channel_frame_ids'] = index.tolist()
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(size={self.size})'
