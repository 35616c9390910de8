"""Statistics over ``SequenceDetectionMetric`` result files: McNemar's test, PR and ROC curves."""

from .curves import PRCurve, ROCCurve, pr_curve, presence_labels, roc_curve, sequence_scores
from .mcnemar import McNemarResult, is_correct, mcnemar_test, paired_correctness, sequence_key
from .results_file import ResultsFileError, load_results, validate_results

__all__ = [
    'McNemarResult',
    'PRCurve',
    'ROCCurve',
    'ResultsFileError',
    'is_correct',
    'load_results',
    'mcnemar_test',
    'paired_correctness',
    'pr_curve',
    'presence_labels',
    'roc_curve',
    'sequence_key',
    'sequence_scores',
    'validate_results',
]
