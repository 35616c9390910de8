"""Sequence-level metrics, registered in mmdet's METRICS."""

from .binary_classification_metric import BinaryClassificationMetric
from .sequence_detection_metric import DEFAULT_SWEEP_THRS, SequenceDetectionMetric

__all__ = ['DEFAULT_SWEEP_THRS', 'BinaryClassificationMetric', 'SequenceDetectionMetric']
