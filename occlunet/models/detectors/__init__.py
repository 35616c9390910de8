"""Detectors."""

from .occlunet import OccluNet

__all__ = ['OccluNet']
