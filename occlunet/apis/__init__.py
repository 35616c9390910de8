"""High-level inference: whole DSA sequences (DICOM files or arrays) in, occlusion findings out."""

from .sequence_inferencer import SequenceInferencer
from .sequence_input import SequenceInput, from_array, from_dsa_sequence, load_results, load_sequence
from .sequence_result import DEFAULT_SCORE_THR, evaluator_score_thr, sequence_result

__all__ = [
    'DEFAULT_SCORE_THR',
    'SequenceInferencer',
    'SequenceInput',
    'evaluator_score_thr',
    'from_array',
    'from_dsa_sequence',
    'load_results',
    'load_sequence',
    'sequence_result',
]
