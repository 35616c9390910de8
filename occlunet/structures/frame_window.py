"""The frame window: the T frames a temporal model sees around a target frame, replicate-padded.

One rule for every place that gathers a window -- the dataset's window and clip samples, the neighbour
stack of each network input (``NeighbourFrameStack``: a window of ``2k + 1`` frames with target ``k``), the
temporal neck's cached windows and the frame-by-frame stream: the window of target frame t is
``clip(t - target_index + i, 0, S - 1)`` for ``i in 0 .. T - 1``, i.e. the first / last frame of the
sequence repeats where the window runs past its ends, and the target sits at position ``target_index``.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor


def check_num_frames(num_frames: int, owner: str) -> None:
    """Raise ``ValueError`` unless the window length ``num_frames`` is at least 1."""
    if num_frames < 1:
        raise ValueError(f'{owner}: num_frames must be >= 1 (frames per window), got {num_frames}')


def resolve_target_index(num_frames: int, target_index: int | None, owner: str) -> int:
    """The target frame's position in a window of ``num_frames`` frames, in ``[0, num_frames)``.

    Args:
        num_frames: window length T.
        target_index: None for the centre frame ``T // 2`` (for even T one more past frame than future
            frame); else a position in ``[-T, T)`` (negative counts from the end, e.g. -1 for the newest
            frame of a causal window).
        owner: name used in the error message.

    Returns:
        The position in ``[0, T)``.
    """
    check_num_frames(num_frames, owner)
    if target_index is None:
        return num_frames // 2
    if not -num_frames <= target_index < num_frames:
        raise ValueError(
            f'{owner}: target_index={target_index} is out of range for num_frames={num_frames} '
            f'(expected None or an index in [{-num_frames}, {num_frames}))'
        )
    return target_index % num_frames


def window_frame_indices(
    sequence_length: int,
    num_frames: int,
    target_index: int,
    centres: Iterable[int] | None = None,
    device: torch.device | str | None = None,
) -> Tensor:
    """Frame indices of the window around each target frame, replicating the first/last frame at the ends.

    The window for target frame t is ``clip(t - target_index + i, 0, S - 1)`` for i in ``0 .. T - 1``;
    with the centre target (``target_index = T // 2``, odd T) that is ``clip(t - T//2 .. t + T//2, 0,
    S - 1)``. A training clip of K consecutive targets from t is the window of ``K + T - 1`` frames with
    the same ``target_index`` around t: target ``t + j``'s window is its positions ``j .. j + T - 1``.

    Args:
        sequence_length: number of frames S in the sequence (or available so far, for a stream).
        num_frames: window length T.
        target_index: the target frame's position in the window, in ``[0, T)`` (see
            :func:`resolve_target_index`).
        centres: the target frames t, each in ``[0, S)``; None for every frame ``0 .. S - 1``.
        device: device of the returned tensor.

    Returns:
        Long tensor of frame indices.

    Shape:
        (K, T), K = ``len(centres)`` (S when None); row k is the window of ``centres[k]``.
    """
    if sequence_length < 1:
        raise ValueError(f'window_frame_indices: sequence_length must be >= 1, got {sequence_length}')
    if centres is None:
        targets = torch.arange(sequence_length, device=device)
    else:
        centres = [int(t) for t in centres]
        bad = [t for t in centres if not 0 <= t < sequence_length]
        if bad:
            raise ValueError(
                f'window_frame_indices: centres {bad[:5]} are outside the sequence of '
                f'{sequence_length} frames'
            )
        targets = torch.as_tensor(centres, dtype=torch.long, device=device)  # (K,)
    offsets = torch.arange(num_frames, device=device) - target_index  # (T,)
    return (targets[:, None] + offsets).clamp_(0, sequence_length - 1)  # (K, T)
