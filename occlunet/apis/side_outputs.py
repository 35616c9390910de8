"""A finding is recorded before its side outputs (GIF, report, export), and their failures never cost it.

>>> entry = record_run(findings, 'run.dcm', predict, gif_of)  # doctest: +SKIP
>>> entry['gif'], entry['export_errors']  # doctest: +SKIP
(None, [{'what': 'gif', 'error': "error: OpenCV(5.1.0) ... Can't parse 'pt1' ..."}])
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from .findings_file import FindingsFile, error_text, finding

FATAL = (KeyboardInterrupt, MemoryError, SystemExit)  # stop the whole run, not one file or one picture
# the export error of a side output while it is being drawn: what a killed run leaves on that entry
PENDING = 'not written: the run stopped before it was drawn (--resume draws it)'
Steps = Mapping[str, Callable[[], Any]]


def log_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def run_side_outputs(steps: Steps) -> tuple[dict[str, Any], list[dict]]:
    """Run each step in order; one that raises is recorded and the next one runs.

    Args:
        steps: name (``'gif'``, ``'report'``, ...) -> a callable that draws and writes that output.

    Returns:
        The return value of each step that succeeded, by name, and ``[{'what': name, 'error': 'Type:
        message'}]`` for each that failed (the ``export_errors`` of a findings.json entry).
        ``KeyboardInterrupt``, ``MemoryError`` and ``SystemExit`` propagate.
    """
    results: dict[str, Any] = {}
    errors: list[dict] = []
    for name, step in steps.items():
        try:
            results[name] = step()
        except FATAL:
            raise
        except Exception as exc:
            errors.append({'what': name, 'error': error_text(exc)})
    return results, errors


def record_run(
    findings: FindingsFile,
    path: str | os.PathLike,
    predict: Callable[[str | os.PathLike], tuple[Any, dict]],
    side_outputs: Callable[[str | os.PathLike, Any, dict], Steps] | None = None,
    log: Callable[[str], None] = log_stderr,
) -> dict | None:
    """Predict one run, record its finding, then draw its side outputs and record how that went.

    The finding is saved with every side output listed in ``export_errors`` as :data:`PENDING`, then saved
    again with what actually failed: a run killed while drawing leaves its finding with the missing
    outputs named, and ``FindingsFile.is_done`` tells a resumed run to do that file again.

    Args:
        findings: where the entry goes (saved as soon as the finding exists, again after the side outputs).
        path: the run's file.
        predict: path -> (the decoded sequence, the ``SequenceInferencer`` result).
        side_outputs: (path, sequence, result) -> steps for :func:`run_side_outputs`; a step named like an
            entry field (``'gif'``) fills that field with what it returns (the GIF's name), else it stays
            null.
        log: gets one line per skipped file and per failed side output.

    Returns:
        The entry, or None when the file was skipped (reading or predicting failed: the error is in
        ``findings.errors``).
    """
    try:
        sequence, result = predict(path)
        steps = {} if side_outputs is None else side_outputs(path, sequence, result)
        entry = finding(path, result, export_errors=[{'what': name, 'error': PENDING} for name in steps])
        findings.add(entry)
    except FATAL:
        raise
    except Exception as exc:  # DSAFormatError, OSError, decode errors, non-finite outputs: skip the file
        findings.add_error(path, error_text(exc))
        log(f'infer: skipped {path}: {error_text(exc)}')
        return None
    if not steps:
        return entry
    written, errors = run_side_outputs(steps)
    entry = {**entry, **{k: v for k, v in written.items() if k in entry}, 'export_errors': errors}
    findings.add(entry)
    for error in errors:
        log(f'infer: {path}: {error["what"]} not written: {error["error"]}')
    return entry
