"""Writing frame sequences as animated GIFs and single images as PNGs (Pillow)."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

MS_PER_SECOND = 1000
RGB_CHANNELS = 3


def _check_uint8(img: np.ndarray, name: str) -> np.ndarray:
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise ValueError(f'{name}: expected uint8 pixels (use to_uint8), got {img.dtype}')
    return img


def write_gif(frames: np.ndarray, path: str | os.PathLike, fps: float = 3.0) -> str:
    """Write an animated GIF that loops forever; creates the parent directory.

    Pillow merges identical consecutive frames into one (their durations add up), so a GIF may hold fewer
    frames than ``T``; label the frames (e.g. "3/18") to keep every one.

    Args:
        frames: uint8 RGB frames (or grey (T, H, W)).
        path: output file.
        fps: frames per second (3 is the DSA rate in Mittmann et al.).

    Returns:
        The path written.

    Shape:
        frames: (T, H, W, 3) or (T, H, W)
    """
    frames = _check_uint8(frames, 'write_gif')
    if frames.ndim not in (RGB_CHANNELS, RGB_CHANNELS + 1) or len(frames) == 0:
        raise ValueError(f'write_gif: expected (T, H, W[, 3]) frames with T >= 1, got shape {frames.shape}')
    if fps <= 0:
        raise ValueError(f'write_gif: fps must be > 0, got {fps}')
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    images = [Image.fromarray(f) for f in frames]
    duration = int(round(MS_PER_SECOND / fps))
    # disposal=2 / optimize=False: every frame is stored whole, so viewers never show stale pixels.
    images[0].save(
        path, save_all=True, append_images=images[1:], duration=duration, loop=0, optimize=False, disposal=2
    )
    return path


def write_png(img: np.ndarray, path: str | os.PathLike) -> str:
    """Write one uint8 image (H, W) or (H, W, 3) as PNG; creates the parent directory. Returns the path."""
    img = _check_uint8(img, 'write_png')
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    Image.fromarray(img).save(path)
    return path
