"""Necks: the temporal modules between the per-frame PAFPN and the YOLOX head."""

from .divided_attention import DividedSpaceTimeAttention, DividedSpaceTimeBlock
from .temporal_attention import TemporalAttention
from .temporal_neck import TemporalNeck

__all__ = ['DividedSpaceTimeAttention', 'DividedSpaceTimeBlock', 'TemporalAttention', 'TemporalNeck']
