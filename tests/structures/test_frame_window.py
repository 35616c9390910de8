"""The frame window: target position, replicate padding at the sequence ends, clips as longer windows."""

from __future__ import annotations

import pytest

from occlunet.structures import resolve_target_index, window_frame_indices


def test_window_frame_indices_replicate_sequence_ends() -> None:
    expected = [[0, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 3]]
    assert window_frame_indices(4, 3, target_index=1).tolist() == expected
    assert window_frame_indices(4, 3, target_index=1, centres=[3, 0]).tolist() == [[2, 3, 3], [0, 0, 1]]
    assert window_frame_indices(4, 3, target_index=2, centres=[0, 3]).tolist() == [[0, 0, 0], [1, 2, 3]]
    assert window_frame_indices(2, 5, target_index=2).tolist() == [[0, 0, 0, 1, 1], [0, 0, 1, 1, 1]]
    with pytest.raises(ValueError, match=r'centres \[4\] are outside the sequence of 4 frames'):
        window_frame_indices(4, 3, target_index=1, centres=[0, 4])


@pytest.mark.parametrize('target_index', [0, 1, 2])
def test_each_window_holds_its_target_at_target_index(target_index: int) -> None:
    windows = window_frame_indices(6, 3, target_index)  # (6, 3)
    assert windows[:, target_index].tolist() == list(range(6))


@pytest.mark.parametrize('target_index', [0, 1, 2])
def test_a_clip_is_the_longer_window_holding_each_targets_window(target_index: int) -> None:
    """K targets from t: the window of K + T - 1 frames around t; target t + j's window at j .. j + T - 1."""
    n, num_frames, num_targets = 5, 3, 4
    for start in range(n - num_targets + 1):
        clip = window_frame_indices(n, num_targets + num_frames - 1, target_index, [start])[0]
        windows = window_frame_indices(n, num_frames, target_index, range(start, start + num_targets))
        for j, window in enumerate(windows):
            assert clip[j : j + num_frames].tolist() == window.tolist()


@pytest.mark.parametrize(
    ('num_frames', 'target_index', 'expected'),
    [(3, None, 1), (4, None, 2), (3, 0, 0), (3, -1, 2), (1, None, 0)],
)
def test_resolve_target_index(num_frames: int, target_index: int | None, expected: int) -> None:
    assert resolve_target_index(num_frames, target_index, 'test') == expected


@pytest.mark.parametrize(
    ('num_frames', 'target_index', 'message'),
    [
        (
            3,
            3,
            r'owner: target_index=3 is out of range for num_frames=3 \(expected None or an index in '
            r'\[-3, 3\)\)',
        ),
        (3, -4, 'target_index=-4 is out of range'),
        (0, None, r'owner: num_frames must be >= 1 \(frames per window\), got 0'),
    ],
)
def test_resolve_target_index_errors(num_frames: int, target_index: int | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_target_index(num_frames, target_index, 'owner')
