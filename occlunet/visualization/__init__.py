"""Overlays, GIFs and PNGs of DSA sequences with ground-truth and predicted boxes."""

from .animation import write_gif, write_png
from .overlay import GT_COLOR, PRED_COLOR, draw_boxes, gray_to_rgb, to_uint8
from .sequence_visualizer import (
    DET_COLOR,
    TRACK_COLOR,
    display_frames,
    draw_minip,
    draw_result,
    draw_result_minip,
    draw_sequence,
    finding_text,
)

__all__ = [
    'DET_COLOR',
    'GT_COLOR',
    'PRED_COLOR',
    'TRACK_COLOR',
    'display_frames',
    'draw_boxes',
    'draw_minip',
    'draw_result',
    'draw_result_minip',
    'draw_sequence',
    'finding_text',
    'gray_to_rgb',
    'to_uint8',
    'write_gif',
    'write_png',
]
