"""Sequence-level metrics (registered in mmdet METRICS) and statistical tests."""

from . import metrics  # noqa: F401  (registers the metrics)
from .metrics import BinaryClassificationMetric, SequenceDetectionMetric
from .stats import load_results, mcnemar_test, paired_correctness, pr_curve, roc_curve  # noqa: F401

__all__ = ['BinaryClassificationMetric', 'SequenceDetectionMetric']
