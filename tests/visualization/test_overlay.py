"""Overlay helpers: grey to uint8 RGB, boxes drawn where they should be."""

from __future__ import annotations

import numpy as np
import pytest

from occlunet.visualization import GT_COLOR, PRED_COLOR, draw_boxes, gray_to_rgb, to_uint8


def test_to_uint8_clips_and_scales():
    frames = np.array([[-0.5, 0.0, 0.5, 1.0, 2.0]], np.float32)
    assert to_uint8(frames).tolist() == [[0, 0, 128, 255, 255]]
    assert to_uint8(np.array([2.0, 4.0]), value_range=(2.0, 4.0)).tolist() == [0, 255]
    assert gray_to_rgb(np.zeros((2, 4, 5), np.uint8)).shape == (2, 4, 5, 3)


def test_draw_boxes_outline_colour_and_copy():
    img = np.zeros((40, 50, 3), np.uint8)
    out = draw_boxes(img, [[10, 5, 30, 25]], ['M1'], color=GT_COLOR, thickness=1)
    assert img.sum() == 0  # input untouched
    assert tuple(out[15, 10]) == GT_COLOR and tuple(out[5, 20]) == GT_COLOR  # left and top edges
    assert out[15, 20].sum() == 0  # inside stays empty
    pred = draw_boxes(out, np.array([[1.0, 1.0, 8.0, 8.0]]), color=PRED_COLOR, thickness=1)
    assert tuple(pred[4, 1]) == PRED_COLOR and tuple(pred[15, 10]) == GT_COLOR
    assert draw_boxes(img, np.zeros((0, 4))).sum() == 0


def test_draw_boxes_bad_input():
    with pytest.raises(ValueError, match='texts'):
        draw_boxes(np.zeros((8, 8, 3), np.uint8), [[0, 0, 2, 2]], ['a', 'b'])
    with pytest.raises(ValueError, match='H, W, 3'):
        draw_boxes(np.zeros((8, 8), np.uint8), [[0, 0, 2, 2]])


def test_draw_boxes_survives_boxes_far_outside_and_non_finite():
    img = np.zeros((30, 40, 3), np.uint8)
    boxes = [[-1e11, 5.0, 1e11, 20.0], [np.nan, 0.0, 5.0, 5.0], [1e12, 1e12, 2e12, 2e12]]
    out = draw_boxes(img, boxes, ['a', 'b', 'c'], color=PRED_COLOR, thickness=1)
    assert tuple(out[5, 20]) == PRED_COLOR and tuple(out[20, 0]) == PRED_COLOR  # top edge, bottom edge
    assert out[10, 20].sum() == 0  # the inside stays empty, the box crossing the image has no side edges
