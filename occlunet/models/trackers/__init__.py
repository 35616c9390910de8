"""Trajectory linking of per-frame detections (OccluNet's trajectory-based optimisation)."""

from .track import Track, best_track
from .trajectory_linker import TrajectoryLinker

__all__ = ['Track', 'TrajectoryLinker', 'best_track']
