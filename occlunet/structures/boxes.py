"""Network-input boxes to DICOM pixels: the inverse of the data pipeline's flips and resizes.

``PackDSAInputs`` records ``img_shape`` (the network input, H x W), ``flip``/``flip_direction`` and
``scale_factor`` = (w_scale, h_scale) such that ``bbox_dicom = unflip(bbox_input) / [w, h, w, h]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Which axes a flip direction mirrors: (x, y).
FLIP_AXES = {'horizontal': (True, False), 'vertical': (False, True), 'diagonal': (True, True)}


def input_to_dicom_boxes(
    bboxes: np.ndarray,
    img_shape: Sequence[int] | None,
    flip_direction: str | None,
    scale_factor: Sequence[float] | None,
) -> np.ndarray:
    """xyxy boxes in network-input pixels -> DICOM pixels: undo the flip, then divide by ``scale_factor``.

    Args:
        bboxes: xyxy boxes in network-input pixels (not modified).
        img_shape: (H, W, ...) of the network input, the frame the flip mirrored in; needed with a flip.
        flip_direction: ``'horizontal'``, ``'vertical'``, ``'diagonal'``, or None (not flipped).
        scale_factor: (w_scale, h_scale, ...) from DICOM to network input, or None (no resize).

    Shape:
        bboxes: (M, 4) -> (M, 4), float64.

    Raises:
        ValueError: an unknown ``flip_direction``.
    """
    bboxes = np.array(bboxes, dtype=np.float64).reshape(-1, 4)  # a copy: flipped in place below
    if flip_direction is not None:
        if flip_direction not in FLIP_AXES:
            raise ValueError(
                f'unknown flip_direction {flip_direction!r}, expected one of {sorted(FLIP_AXES)}'
            )
        height, width = img_shape[:2]
        flip_x, flip_y = FLIP_AXES[flip_direction]
        if flip_x:
            bboxes[:, [0, 2]] = width - bboxes[:, [2, 0]]
        if flip_y:
            bboxes[:, [1, 3]] = height - bboxes[:, [3, 1]]
    if scale_factor is not None:
        w_scale, h_scale = (float(v) for v in np.asarray(scale_factor, dtype=np.float64).reshape(-1)[:2])
        bboxes = bboxes / np.array([w_scale, h_scale, w_scale, h_scale])
    return bboxes
