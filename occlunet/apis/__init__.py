"""High-level inference: DSA sequences (DICOM files, arrays, or frames one at a time) in, occlusion findings
out; findings.json written as runs finish, side outputs after their finding."""

from .feature_cache_writer import build_feature_cache
from .findings_file import (
    BBOX_FORMAT,
    FindingsFile,
    ResumeError,
    config_sha256,
    error_text,
    file_sha256,
    finding,
    findings_header,
)
from .output_checks import NonFiniteOutputError, OutputGuard, bound_sample, clip_boxes
from .sequence_inferencer import SequenceInferencer
from .sequence_input import SequenceInput, from_array, from_dsa_sequence, load_results, load_sequence
from .sequence_result import DEFAULT_SCORE_THR, evaluator_score_thr, sequence_result
from .sequence_stream import FrameSteps, SequenceStream, StreamingError
from .side_outputs import record_run, run_side_outputs

__all__ = [
    'build_feature_cache',
    'BBOX_FORMAT',
    'DEFAULT_SCORE_THR',
    'FindingsFile',
    'FrameSteps',
    'NonFiniteOutputError',
    'OutputGuard',
    'ResumeError',
    'SequenceInferencer',
    'SequenceInput',
    'SequenceStream',
    'StreamingError',
    'bound_sample',
    'clip_boxes',
    'config_sha256',
    'error_text',
    'evaluator_score_thr',
    'file_sha256',
    'finding',
    'findings_header',
    'from_array',
    'from_dsa_sequence',
    'load_results',
    'load_sequence',
    'record_run',
    'run_side_outputs',
    'sequence_result',
]
