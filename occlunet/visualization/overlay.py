"""Drawing on DSA frames: grey levels to 8-bit RGB, boxes with labels.

Colours (RGB) are fixed per role so that GT and predictions can share one image.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

GT_COLOR: tuple[int, int, int] = (0, 220, 0)  # green: ground truth
PRED_COLOR: tuple[int, int, int] = (255, 64, 64)  # red: predictions
UINT8_MAX = 255
RGB_CHANNELS = 3
FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_SCALE_PER_PIXEL = 1 / 700  # text height follows the image size: 0.73 at 512 px
MIN_FONT_SCALE = 0.35
TEXT_MARGIN = 3


def to_uint8(frames: np.ndarray, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Grey levels in ``value_range`` to uint8 0..255 (clipped); any shape.

    Shape:
        frames: (...) float -> (...) uint8
    """
    low, high = value_range
    scaled = (np.asarray(frames, dtype=np.float32) - low) / max(high - low, np.finfo(np.float32).eps)
    return np.round(np.clip(scaled, 0.0, 1.0) * UINT8_MAX).astype(np.uint8)


def gray_to_rgb(frames: np.ndarray) -> np.ndarray:
    """Repeat a uint8 grey image/sequence into 3 channels.

    Shape:
        frames: (..., H, W) -> (..., H, W, 3)
    """
    return np.repeat(np.asarray(frames)[..., None], RGB_CHANNELS, axis=-1)


def canvas_boxes(
    boxes: np.ndarray, height: int, width: int, margin: int = 0
) -> list[tuple[int, int, int, int] | None]:
    """Boxes as integer pixel corners for OpenCV, bounded to the canvas plus ``margin`` pixels on each side.

    OpenCV takes int32 points: a box of 10⁹ pixels (an untrained box regression) would overflow. Bounding the
    corners keeps the part of the box on the canvas where it was (a box crossing the image is drawn along
    the border it crosses, a box entirely outside stays invisible); a box with a NaN or inf coordinate is
    None (not drawn).

    Shape:
        boxes: (N, 4) xyxy -> N entries (x1, y1, x2, y2) or None
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    low = -1.0 - margin
    bounds = np.array([width, height, width, height], dtype=np.float64) + margin
    out: list[tuple[int, int, int, int] | None] = []
    for box in boxes:
        if not np.isfinite(box).all():
            out.append(None)
            continue
        x1, y1, x2, y2 = (int(round(v)) for v in np.clip(box, low, bounds))
        out.append((x1, y1, x2, y2))
    return out


def draw_boxes(
    img_rgb: np.ndarray,
    boxes_xyxy: np.ndarray | Sequence[Sequence[float]],
    texts: Sequence[str] | None = None,
    color: tuple[int, int, int] = GT_COLOR,
    thickness: int = 2,
) -> np.ndarray:
    """A copy of ``img_rgb`` with rectangles and optional texts (class name, score) above them.

    Boxes reaching outside the image are drawn where they cross it, non-finite ones are skipped
    (:func:`canvas_boxes`): drawing never fails on a model's output.

    Args:
        img_rgb: uint8 image.
        boxes_xyxy: boxes in the image's pixels.
        texts: one label per box (None: no text).
        color: RGB colour, e.g. :data:`GT_COLOR` or :data:`PRED_COLOR`.
        thickness: line thickness in pixels.

    Shape:
        img_rgb: (H, W, 3) uint8, boxes_xyxy: (N, 4) -> (H, W, 3) uint8
    """
    img = np.ascontiguousarray(img_rgb, dtype=np.uint8).copy()
    if img.ndim != RGB_CHANNELS or img.shape[-1] != RGB_CHANNELS:
        raise ValueError(f'draw_boxes: expected an (H, W, 3) image, got shape {img.shape}')
    boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
    if texts is not None and len(texts) != len(boxes):
        raise ValueError(f'draw_boxes: {len(texts)} texts for {len(boxes)} boxes')
    font_scale = max(MIN_FONT_SCALE, max(img.shape[:2]) * FONT_SCALE_PER_PIXEL)
    for i, box in enumerate(canvas_boxes(boxes, img.shape[0], img.shape[1], thickness)):
        if box is None:
            continue
        x1, y1, x2, y2 = box
        top_left = (x1, y1)
        cv2.rectangle(img, top_left, (x2, y2), color, thickness)
        if texts is not None and texts[i]:
            (_, text_h), _ = cv2.getTextSize(texts[i], FONT, font_scale, 1)
            y_text = (
                top_left[1] - TEXT_MARGIN if top_left[1] - TEXT_MARGIN - text_h >= 0 else top_left[1] + text_h
            )
            cv2.putText(img, texts[i], (top_left[0], y_text), FONT, font_scale, color, 1, cv2.LINE_AA)
    return img
