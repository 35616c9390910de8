"""Sequence-level metrics, registered in mmdet's METRICS."""

from .sequence_detection_metric import DEFAULT_SWEEP_THRS, SequenceDetectionMetric

__all__ = ['DEFAULT_SWEEP_THRS', 'SequenceDetectionMetric']
