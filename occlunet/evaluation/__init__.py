"""Sequence-level metrics (registered in mmdet METRICS) and statistical tests."""

from . import metrics  # noqa: F401  (registers the metrics)
from .metrics import SequenceDetectionMetric

__all__ = ['SequenceDetectionMetric']
