"""High-level inference: DSA sequences (DICOM files, arrays, or frames one at a time) in, occlusion findings
out."""

from .sequence_inferencer import SequenceInferencer
from .sequence_input import SequenceInput, from_array, from_dsa_sequence, load_results, load_sequence
from .sequence_result import DEFAULT_SCORE_THR, evaluator_score_thr, sequence_result
from .sequence_stream import FrameSteps, SequenceStream, StreamingError

__all__ = [
    'DEFAULT_SCORE_THR',
    'FrameSteps',
    'SequenceInferencer',
    'SequenceInput',
    'SequenceStream',
    'StreamingError',
    'evaluator_score_thr',
    'from_array',
    'from_dsa_sequence',
    'load_results',
    'load_sequence',
    'sequence_result',
]
