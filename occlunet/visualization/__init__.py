"""Overlays, GIFs and PNGs of DSA sequences with ground-truth and predicted boxes."""

from .animation import write_gif, write_png
from .overlay import GT_COLOR, PRED_COLOR, draw_boxes, gray_to_rgb, to_uint8

__all__ = ['GT_COLOR', 'PRED_COLOR', 'draw_boxes', 'gray_to_rgb', 'to_uint8', 'write_gif', 'write_png']
