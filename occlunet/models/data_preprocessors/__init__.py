"""Data preprocessors for (T, C, H, W) samples."""

from .sequence_data_preprocessor import SequenceDataPreprocessor

__all__ = ['SequenceDataPreprocessor']
