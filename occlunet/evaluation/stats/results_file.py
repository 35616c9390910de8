"""Load and validate a result file written by ``SequenceDetectionMetric`` (``tools/test.py --out``).

The layout and its typed record: :mod:`occlunet.evaluation.results_record`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..results_record import ResultsFile, ResultsFileError

DOCUMENT_KEYS = ('settings', 'num_sequences', 'metrics', 'sweep', 'sequences')
SEQUENCE_KEYS = ('video_id', 'file_name', 'gt_label', 'gt', 'best_track', 'outcome')
SWEEP_KEYS = ('score_thr', 'precision', 'recall')
OUTCOMES = frozenset({'TP', 'FP', 'FN', 'FN+FP', 'TN'})


def validate_results(document: Any, source: str = '<results>') -> dict:
    """Check the structure of a loaded result document and return it.

    Checked: the top-level keys (``DOCUMENT_KEYS``), ``num_sequences == len(sequences)``, the keys of
    every sequence (``SEQUENCE_KEYS``) and sweep row (``SWEEP_KEYS``), the outcome names and that a
    ``best_track`` (when not null) has a ``score``.

    Raises:
        ResultsFileError: the message names ``source`` and the missing key or bad entry.
    """
    hint = 'not a SequenceDetectionMetric result file (tools/test.py CONFIG CKPT --out results.json)'
    if not isinstance(document, dict):
        raise ResultsFileError(f'{source}: {hint}: expected a JSON object, got {type(document).__name__}')
    missing = [key for key in DOCUMENT_KEYS if key not in document]
    if missing:
        raise ResultsFileError(f'{source}: {hint}: missing key(s) {missing}')
    sequences, sweep = document['sequences'], document['sweep']
    if not isinstance(sequences, list) or not isinstance(sweep, list):
        raise ResultsFileError(f"{source}: {hint}: 'sequences' and 'sweep' must be lists")
    if document['num_sequences'] != len(sequences):
        raise ResultsFileError(
            f"{source}: num_sequences={document['num_sequences']} but {len(sequences)} entries in 'sequences'"
        )
    for i, seq in enumerate(sequences):
        if not isinstance(seq, dict):
            raise ResultsFileError(f'{source}: sequences[{i}] is not a JSON object')
        lacking = [key for key in SEQUENCE_KEYS if key not in seq]
        if lacking:
            raise ResultsFileError(f'{source}: sequences[{i}] lacks key(s) {lacking}')
        if seq['outcome'] not in OUTCOMES:
            raise ResultsFileError(
                f'{source}: sequences[{i}] (video_id={seq["video_id"]}, {seq["file_name"]}): unknown '
                f'outcome {seq["outcome"]!r}, expected one of {sorted(OUTCOMES)}'
            )
        best = seq['best_track']
        if best is not None and (not isinstance(best, dict) or 'score' not in best):
            raise ResultsFileError(f"{source}: sequences[{i}]: best_track lacks key 'score'")
    for i, row in enumerate(sweep):
        lacking = [key for key in SWEEP_KEYS if not isinstance(row, dict) or key not in row]
        if lacking:
            raise ResultsFileError(f'{source}: sweep[{i}] lacks key(s) {lacking}')
    return document


def load_results(path: str | Path) -> dict:
    """The validated JSON document of a ``SequenceDetectionMetric`` result file.

    Raises:
        FileNotFoundError: no such file.
        ResultsFileError: not JSON, or not a result file (see :func:`validate_results`); the message
            names the file and the missing key.
    """
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ResultsFileError(f'{path}: not a JSON file: {e}') from e
    return validate_results(document, str(path))


def load_results_file(path: str | Path) -> ResultsFile:
    """The typed record of a ``SequenceDetectionMetric`` result file (:func:`load_results`, then
    :meth:`ResultsFile.from_json`).

    Raises:
        FileNotFoundError: no such file.
        ResultsFileError: not a result file, or a newer ``schema_version`` than this code reads.
    """
    return ResultsFile.from_json(load_results(path), str(path))


def time_order_of(document: dict) -> str:
    """The frame order a result file was tested with (``tools/test.py --time-order``; ``'forward'`` when
    the file records none)."""
    return str(document.get('settings', {}).get('time_order') or 'forward')


def time_order_path(path: str | Path, order: str) -> Path:
    """Where the results of a time-order ablation live beside the forward ones: ``<stem>_<order>.json``
    (``'forward'``: ``path`` itself)."""
    path = Path(path)
    return path if order == 'forward' else path.with_name(f'{path.stem}_{order}{path.suffix}')
