"""When the frames of a run are taken: constant-rate runs and two-rate (variable frame rate) protocols.

A run starts before the contrast arrives and lasts ``duration`` seconds. A constant-rate run has
``clip(round(duration * fps), frames_min, frames_max)`` frames at ``k / fps``. A two-rate run is taken at
``fps`` until ``switch`` seconds (arterial and capillary phases), then at a slower ``late_fps`` until
``duration``; its frame count is clipped to the same limits (the late rate continues when the run would be
too short). Two-rate runs are written with FrameTimeVector (:mod:`.dicom_writer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import SynthParams

#: Two intervals closer than this (s) are the same frame rate.
SAME_INTERVAL_S = 1e-9


@dataclass
class ProtocolDraws:
    """The per-study draws of the two-rate protocol (always three, whatever the parameters).

    Args:
        u_two_rate: uniform: a two-rate run if below ``two_rate_probability``.
        u_switch: uniform quantile of the switch time in ``arterial_phase_s``.
        u_late: uniform: picks the late rate among ``late_fps`` below the arterial rate.
    """

    u_two_rate: float
    u_switch: float
    u_late: float

    @classmethod
    def sample(cls, rng: np.random.Generator) -> ProtocolDraws:
        u = rng.random(3)
        return cls(float(u[0]), float(u[1]), float(u[2]))


def frame_times(fps: float, duration: float, p: SynthParams, draws: ProtocolDraws) -> np.ndarray:
    """Seconds from the first frame, float64 (T,), of a run at ``fps`` wanting ``duration`` seconds."""
    late_rates = sorted(f for f in p.late_fps if f < fps)
    if draws.u_two_rate >= p.two_rate_probability or not late_rates:
        n_frames = int(np.clip(round(duration * fps), p.frames_min, p.frames_max))
        return np.arange(n_frames) / fps
    late = late_rates[min(int(draws.u_late * len(late_rates)), len(late_rates) - 1)]
    lo, hi = p.arterial_phase_s
    switch = lo + draws.u_switch * (hi - lo)
    fast = np.arange(max(int(np.ceil(switch * fps - SAME_INTERVAL_S)), 1)) / fps  # frames before the switch
    n_late = max(int(np.floor((duration - fast[-1]) * late + SAME_INTERVAL_S)), 0)
    n_frames = int(np.clip(len(fast) + n_late, p.frames_min, p.frames_max))
    slow = fast[-1] + np.arange(1, n_frames - len(fast) + 1) / late
    return np.concatenate([fast, slow])[:n_frames]


def is_constant_rate(times: np.ndarray) -> bool:
    """True when every interval between frames is the same (or there are fewer than three frames)."""
    steps = np.diff(np.asarray(times, dtype=np.float64))
    return len(steps) < 2 or float(np.ptp(steps)) < SAME_INTERVAL_S * max(1.0, float(steps.max()))


def mean_frame_rate(times: np.ndarray) -> float:
    """Frames per second over the run: (T - 1) / (last time - first time); 0 for a one-frame run."""
    times = np.asarray(times, dtype=np.float64)
    return 0.0 if len(times) < 2 else (len(times) - 1) / float(times[-1] - times[0])
