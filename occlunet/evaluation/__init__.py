"""Sequence-level metrics (registered in mmdet METRICS) and statistical tests."""
