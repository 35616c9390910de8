"""Statistics over result files: McNemar's test, PR and ROC curves (``SequenceDetectionMetric``); metrics,
ensembles, the paired PA + LAT decision and cross-validation summaries (sequence classifier)."""

from ..verdict import ROCCurve, roc_from_scores
from .classification import (
    BinaryMetrics,
    ClassificationResultsError,
    binary_metrics,
    load_classification_results,
    validate_classification_results,
)
from .cross_validation import MeanSD, fold_metrics, mean_sd, summarize_folds
from .curves import PRCurve, pr_curve, presence_labels, roc_curve, sequence_scores
from .ensemble import (
    EnsembleError,
    EnsembleSequence,
    Evaluation,
    PairedStudy,
    evaluate,
    merge_results,
    pair_studies,
    short_names,
)
from .mcnemar import McNemarResult, is_correct, mcnemar_test, paired_correctness, sequence_key
from .results_file import (
    ResultsFileError,
    load_results,
    load_results_file,
    time_order_of,
    time_order_path,
    validate_results,
)

__all__ = [
    'BinaryMetrics',
    'ClassificationResultsError',
    'EnsembleError',
    'EnsembleSequence',
    'Evaluation',
    'MeanSD',
    'PairedStudy',
    'binary_metrics',
    'evaluate',
    'fold_metrics',
    'load_classification_results',
    'mean_sd',
    'merge_results',
    'pair_studies',
    'roc_from_scores',
    'short_names',
    'summarize_folds',
    'validate_classification_results',
    'McNemarResult',
    'PRCurve',
    'ROCCurve',
    'ResultsFileError',
    'is_correct',
    'load_results',
    'load_results_file',
    'mcnemar_test',
    'paired_correctness',
    'pr_curve',
    'presence_labels',
    'roc_curve',
    'sequence_key',
    'sequence_scores',
    'time_order_of',
    'time_order_path',
    'validate_results',
]
