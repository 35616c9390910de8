"""Network-input boxes to DICOM pixels (occlunet.structures.boxes) on hand-made boxes."""

from __future__ import annotations

import numpy as np
import pytest

from occlunet.structures.boxes import input_to_dicom_boxes

BOX = np.array([[10.0, 20.0, 30.0, 60.0]])  # in a 100 (H) x 200 (W) network input


@pytest.mark.parametrize(
    ('direction', 'expected'),
    [
        (None, [10.0, 20.0, 30.0, 60.0]),
        ('horizontal', [170.0, 20.0, 190.0, 60.0]),
        ('vertical', [10.0, 40.0, 30.0, 80.0]),
        ('diagonal', [170.0, 40.0, 190.0, 80.0]),
    ],
)
def test_flip_is_undone_in_the_input_frame(direction, expected):
    out = input_to_dicom_boxes(BOX, (100, 200), direction, None)
    np.testing.assert_array_equal(out, [expected])


def test_flip_then_scale_and_the_input_is_not_modified():
    box = BOX.copy()
    out = input_to_dicom_boxes(box, (100, 200, 3), 'horizontal', (0.5, 2.0))
    np.testing.assert_array_equal(out, [[340.0, 10.0, 380.0, 30.0]])
    np.testing.assert_array_equal(box, BOX)


def test_empty_boxes_keep_their_shape():
    assert input_to_dicom_boxes(np.zeros((0, 4)), (8, 8), 'vertical', (2.0, 2.0)).shape == (0, 4)


def test_unknown_flip_direction_is_refused():
    with pytest.raises(ValueError, match="unknown flip_direction 'sideways'"):
        input_to_dicom_boxes(BOX, (100, 200), 'sideways', None)
