"""Detectors."""

from .occlunet import OccluNet
from .occlunet_stream import OccluNetStream

__all__ = ['OccluNet', 'OccluNetStream']
