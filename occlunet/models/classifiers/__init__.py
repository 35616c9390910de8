"""Sequence classifiers: thrombus yes/no per DSA sequence (Mittmann et al. 2022)."""

from .sequence_classifier import SequenceClassifier

__all__ = ['SequenceClassifier']
