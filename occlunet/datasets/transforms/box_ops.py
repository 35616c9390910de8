"""Box arithmetic shared by the sequence transforms; boxes are ``(N, 4)`` float32 ``[x1, y1, x2, y2]``.

Coordinates are continuous pixel-edge coordinates: pixel ``i`` covers ``[i, i + 1)``, so a frame of width
``W`` spans ``[0, W]`` and a horizontal flip maps ``x -> W - x``.

The per-instance arrays a pipeline carries (all length N, kept aligned by :func:`filter_instances`):
``gt_bboxes`` (N, 4) float32, ``gt_bboxes_labels`` (N,) int64, ``gt_frame_start`` / ``gt_frame_end`` (N,)
int64 (inclusive frame range where the occlusion is visible), ``gt_category_ids`` (N,) int64.
"""

from __future__ import annotations

import numpy as np

INSTANCE_KEYS: tuple[str, ...] = (
    'gt_bboxes',
    'gt_bboxes_labels',
    'gt_frame_start',
    'gt_frame_end',
    'gt_category_ids',
)
BOX_DIM = 4
# A pixel's centre sits half a pixel from its edge: converts edge coordinates to cv2's centre ones.
PIXEL_CENTRE = 0.5


def empty_boxes() -> np.ndarray:
    """``(0, 4)`` float32."""
    return np.zeros((0, BOX_DIM), dtype=np.float32)


def instances_from_annotations(instances: list[dict]) -> dict[str, np.ndarray]:
    """The per-instance arrays from the dataset's ``instances`` list (see :data:`INSTANCE_KEYS`)."""
    if not instances:
        empty = np.zeros((0,), dtype=np.int64)
        return {
            'gt_bboxes': empty_boxes(),
            'gt_bboxes_labels': empty,
            'gt_frame_start': empty.copy(),
            'gt_frame_end': empty.copy(),
            'gt_category_ids': empty.copy(),
        }
    return {
        'gt_bboxes': np.asarray([inst['bbox'] for inst in instances], dtype=np.float32).reshape(-1, BOX_DIM),
        'gt_bboxes_labels': np.asarray([inst['bbox_label'] for inst in instances], dtype=np.int64),
        'gt_frame_start': np.asarray([inst['frame_start'] for inst in instances], dtype=np.int64),
        'gt_frame_end': np.asarray([inst['frame_end'] for inst in instances], dtype=np.int64),
        'gt_category_ids': np.asarray([inst.get('category_id', -1) for inst in instances], dtype=np.int64),
    }


def filter_instances(results: dict, keep: np.ndarray) -> None:
    """Keep the instances where the boolean mask ``keep`` (N,) is True, in every per-instance array."""
    for key in INSTANCE_KEYS:
        if key in results:
            results[key] = results[key][keep]


def scale_boxes(boxes: np.ndarray, scale_x: float, scale_y: float) -> np.ndarray:
    """Boxes multiplied by ``(scale_x, scale_y)``."""
    return (boxes * np.asarray([scale_x, scale_y, scale_x, scale_y], dtype=np.float32)).astype(np.float32)


def clip_boxes(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """Boxes clipped to the frame ``[0, width] x [0, height]``."""
    out = boxes.copy()
    out[:, 0::2] = np.clip(out[:, 0::2], 0, width)
    out[:, 1::2] = np.clip(out[:, 1::2], 0, height)
    return out


def non_empty(boxes: np.ndarray) -> np.ndarray:
    """Boolean mask (N,): boxes with positive width and height."""
    return (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])


def flip_boxes(boxes: np.ndarray, width: int, height: int, direction: str) -> np.ndarray:
    """Boxes mirrored like the pixels: ``x -> width - x`` (horizontal) or ``y -> height - y`` (vertical)."""
    out = boxes.copy()
    if direction == 'horizontal':
        out[:, 0], out[:, 2] = width - boxes[:, 2], width - boxes[:, 0]
    elif direction == 'vertical':
        out[:, 1], out[:, 3] = height - boxes[:, 3], height - boxes[:, 1]
    else:
        raise ValueError(f"flip direction must be 'horizontal' or 'vertical', got {direction!r}")
    return out


def affine_boxes(boxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The boxes enclosing the four transformed corners of each box.

    Args:
        boxes: (N, 4) edge coordinates.
        matrix: (2, 3) affine matrix in cv2's pixel-centre coordinates (as given to ``cv2.warpAffine``).

    Shape:
        boxes: (N, 4) -> (N, 4)
    """
    if len(boxes) == 0:
        return boxes.copy()
    x1, y1, x2, y2 = boxes.T
    corners = np.stack(
        [np.stack([x1, y1], -1), np.stack([x2, y1], -1), np.stack([x1, y2], -1), np.stack([x2, y2], -1)],
        axis=1,
    )  # (N, 4, 2)
    centred = corners - PIXEL_CENTRE
    moved = centred @ matrix[:, :2].T + matrix[:, 2] + PIXEL_CENTRE  # (N, 4, 2)
    return np.concatenate([moved.min(axis=1), moved.max(axis=1)], axis=1).astype(np.float32)  # (N, 4)
