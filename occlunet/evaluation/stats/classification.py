"""Sequence classifier result files (``tools/test.py CONFIG CKPT --out results.json``) and their metrics.

A result file of the thrombus classifier (Mittmann et al. 2022) is

```json
{"sequences": [{"video_id": 7, "file_name": "dicom/S0003_LAT.dcm", "study_id": "S0003", "view": "LAT",
                "label": 1, "score": 0.83, "pred": 1}, ...],
 "metrics": {...}, "settings": {"threshold": 0.5}, "num_sequences": 1}
```

``label`` is the ground truth (1: occlusion), ``score`` the predicted probability of class 1, ``pred`` the
metric's decision. The metrics here are computed from ``label`` and ``score`` with scikit-learn (decision
``score >= threshold``), so they do not depend on how a metric names or prefixes its keys.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..verdict import binary_mcc, roc_auc

CLASSIFICATION_DOCUMENT_KEYS = ('sequences',)
CLASSIFICATION_SEQUENCE_KEYS = ('video_id', 'file_name', 'study_id', 'view', 'label', 'score')


class ClassificationResultsError(ValueError):
    """A file is not a (well-formed) sequence classifier result file; the message names it."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_classification_results(document: Any, source: str = '<results>') -> dict:
    """Check a loaded classifier result document and return it.

    Checked: a ``sequences`` list (and ``num_sequences`` equal to its length where present); per sequence
    the keys ``CLASSIFICATION_SEQUENCE_KEYS``, an integer ``video_id``, ``label`` (and ``pred`` where
    present) 0 or 1, ``score`` a probability in [0, 1], ``study_id`` a string or null, no video twice.

    Raises:
        ClassificationResultsError: naming ``source``, the sequence and the field.
    """
    hint = 'not a sequence classifier result file (tools/test.py CONFIG CKPT --out results.json)'
    if not isinstance(document, dict):
        raise ClassificationResultsError(
            f'{source}: {hint}: expected a JSON object, got {type(document).__name__}'
        )
    sequences = document.get('sequences')
    if not isinstance(sequences, list):
        raise ClassificationResultsError(f"{source}: {hint}: missing 'sequences' list")
    if 'num_sequences' in document and document['num_sequences'] != len(sequences):
        raise ClassificationResultsError(
            f"{source}: num_sequences={document['num_sequences']} but {len(sequences)} entries in 'sequences'"
        )
    seen: set[int] = set()
    for i, seq in enumerate(sequences):
        if not isinstance(seq, dict):
            raise ClassificationResultsError(f'{source}: sequences[{i}] is not a JSON object')
        lacking = [key for key in CLASSIFICATION_SEQUENCE_KEYS if key not in seq]
        if lacking:
            raise ClassificationResultsError(f'{source}: sequences[{i}] lacks key(s) {lacking} ({hint})')
        where = f'{source}: sequences[{i}] (video_id={seq["video_id"]}, {seq["file_name"]})'
        if not _is_int(seq['video_id']):
            raise ClassificationResultsError(f"{where}: field 'video_id' must be an integer")
        if seq['video_id'] in seen:
            raise ClassificationResultsError(f'{where}: the video appears twice in the file')
        seen.add(seq['video_id'])
        for key in ('label', 'pred'):
            if key in seq and seq[key] not in (0, 1):
                raise ClassificationResultsError(f"{where}: field '{key}' must be 0 or 1, got {seq[key]!r}")
        score = seq['score']
        if not isinstance(score, (int, float)) or isinstance(score, bool) or not 0.0 <= score <= 1.0:
            raise ClassificationResultsError(
                f"{where}: field 'score' must be a probability in [0, 1], got {score!r}"
            )
        if seq['study_id'] is not None and not isinstance(seq['study_id'], str):
            raise ClassificationResultsError(f"{where}: field 'study_id' must be a string or null")
    return document


def load_classification_results(path: str | Path) -> dict:
    """The validated document of a classifier result file.

    Raises:
        FileNotFoundError: no such file.
        ClassificationResultsError: not JSON or not a classifier result file (the message names the file).
    """
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding='utf-8'))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ClassificationResultsError(f'{path}: not a JSON file: {e}') from e
    return validate_classification_results(document, str(path))


@dataclass(frozen=True)
class BinaryMetrics:
    """Binary decision metrics of one set of sequences (or studies).

    ``mcc``: Matthews correlation (scikit-learn; 0 where undefined, e.g. one predicted class only);
    ``auc``: ROC AUC of the scores (NaN with one ground-truth class only); ``sensitivity`` / ``specificity``
    NaN without positives / negatives. Everything but the counts is NaN for ``n == 0``.
    """

    n: int
    num_positive: int
    num_negative: int
    tp: int
    fp: int
    fn: int
    tn: int
    mcc: float
    auc: float
    sensitivity: float
    specificity: float

    def to_dict(self) -> dict:
        """The fields, NaN as None (JSON null)."""
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


def binary_metrics(labels, scores, threshold: float = 0.5) -> BinaryMetrics:
    """MCC, ROC AUC, sensitivity and specificity of ``scores`` against 0/1 ``labels``.

    Args:
        labels: (N,) ground truth, 0 or 1.
        scores: (N,) predicted probabilities of class 1.
        threshold: the decision is ``score >= threshold``.
    """
    y = np.asarray(labels, dtype=np.int64).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(y) != len(s):
        raise ValueError(f'{len(y)} labels but {len(s)} scores')
    p = (s >= threshold).astype(np.int64)  # (N,) decisions
    tp, fp = int(np.sum((p == 1) & (y == 1))), int(np.sum((p == 1) & (y == 0)))
    fn, tn = int(np.sum((p == 0) & (y == 1))), int(np.sum((p == 0) & (y == 0)))
    n_pos, n_neg = tp + fn, fp + tn
    nan = math.nan
    mcc = binary_mcc(y, p)  # 0 with one label or one decision only, as documented above
    auc = roc_auc(y, s)
    return BinaryMetrics(
        n=len(y), num_positive=n_pos, num_negative=n_neg, tp=tp, fp=fp, fn=fn, tn=tn, mcc=mcc, auc=auc,
        sensitivity=tp / n_pos if n_pos else nan, specificity=tn / n_neg if n_neg else nan,
    )  # fmt: skip
