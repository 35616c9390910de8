"""Where a pipeline keeps its pixels, and how the transforms reach them.

After ``LoadDSASequence`` the pixels are ``results['frames']``: the whole sequence, (n, H, W) float32,
read-only (it may be the cached array). ``NeighbourFrameStack``, ``FrameChunkStack`` and
``MinIntensityProjection`` gather the frames a sample needs into ``results['img']``, (T, C, H, W) float32,
writable. Transforms that change pixels work on ``img`` when it exists, else on ``frames`` (then they
return a new array, never writing into the cache, and reset ``cache_key``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..sequence_cache import FRAMES_THUNK

PLANE_DIMS = 2


def pixel_key(results: dict) -> str:
    """``'img'`` when a sample image exists, else ``'frames'``."""
    if 'img' in results:
        return 'img'
    if 'frames' in results or FRAMES_THUNK in results:
        return 'frames'
    raise KeyError('no pixels in results: put LoadDSASequence first in the pipeline')


def set_pixels(results: dict, key: str, array: np.ndarray) -> None:
    """Store new pixels; a changed ``frames`` no longer matches its cache entry, so ``cache_key`` is reset."""
    results[key] = array
    if key == 'frames':
        results['cache_key'] = None
    height, width = array.shape[-PLANE_DIMS:]
    results['img_shape'] = (int(height), int(width))


def map_planes(array: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply a 2-D function to every (H, W) plane of an array of shape (..., H, W).

    Shape:
        array: (..., H, W) -> (..., H', W') where ``fn`` maps (H, W) -> (H', W').
    """
    lead = array.shape[:-PLANE_DIMS]
    planes = array.reshape(-1, *array.shape[-PLANE_DIMS:])  # (P, H, W)
    out = [fn(np.ascontiguousarray(p)) for p in planes]
    if not out:
        return array.copy()
    return np.stack(out).reshape(*lead, *out[0].shape)  # (..., H', W')
