"""Frame windows: the T frames a temporal module sees around a target frame, and checks of their arguments."""

from __future__ import annotations

from collections.abc import Sequence

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
        target_index: None for the centre frame ``T // 2``; else a position in ``[-T, T)`` (negative counts
            from the end, e.g. -1 for the newest frame of a causal window).
        owner: name used in the error message.
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
    centres: Sequence[int] | None = None,
    device: torch.device | str | None = None,
) -> Tensor:
    """Frame indices of the window around each target frame, replicating the first/last frame at the ends.

    The window for target frame t is ``clip(t - target_index + k, 0, S - 1)`` for k in ``0 .. T - 1``; with
    the centre target (``target_index = T // 2``, odd T) that is ``clip(t - T//2 .. t + T//2, 0, S - 1)``.

    Args:
        sequence_length: number of frames S in the sequence.
        num_frames: window length T.
        target_index: the target frame's position in the window, in ``[0, T)``.
        centres: the target frames t, each in ``[0, S)``; None for every frame ``0 .. S - 1``.
        device: device of the returned tensor.

    Returns:
        Long tensor (len(centres), T).
    """
    if sequence_length < 1:
        raise ValueError(f'window_frame_indices: sequence_length must be >= 1, got {sequence_length}')
    if centres is None:
        targets = torch.arange(sequence_length, device=device)
    else:
        bad = [t for t in centres if not 0 <= t < sequence_length]
        if bad:
            raise ValueError(
                f'window_frame_indices: centres {bad[:5]} are outside the sequence of '
                f'{sequence_length} frames'
            )
        targets = torch.as_tensor(list(centres), dtype=torch.long, device=device)
    offsets = torch.arange(num_frames, device=device) - target_index  # (T,)
    return (targets[:, None] + offsets).clamp_(0, sequence_length - 1)  # (K, T)
