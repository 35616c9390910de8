"""``findings.json`` of ``tools/infer.py``: its entries, written atomically as runs finish, and resumed.

The fields are :func:`findings_header`'s, ``complete``, ``files`` (:func:`finding` per run read) and
``errors``; their meaning, for users, is in ``python tools/infer.py --help``. Boxes are in DICOM pixels,
``[x, y, w, h]`` (top-left corner, width, height), clipped to the image (:mod:`occlunet.apis.output_checks`).

:class:`FindingsFile` rewrites the whole file after each finished run (temporary file, then ``os.replace``),
so an interrupted or killed run leaves a valid file holding every run finished before it; writing is kept
to at most ``max_write_share`` of the time (very large folders: every few runs instead of every run). An
entry that is not strict JSON (NaN, inf) is refused when added, so it can never break the file.
:meth:`FindingsFile.resume` reads a previous file for ``--resume``: it must come from the same config,
checkpoint and threshold (:data:`RESUME_KEYS`), else :class:`ResumeError`; :meth:`FindingsFile.is_done`
says which files need no new run.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from occlunet.evaluation.verdict import xyxy_to_xywh

BBOX_FORMAT = 'xywh, DICOM pixels'
RESUME_KEYS = ('config_sha256', 'checkpoint_sha256', 'score_thr', 'classes')
HASH_CHUNK = 1 << 20
JSON_INDENT = 2


class ResumeError(ValueError):
    """A previous findings.json cannot be resumed (unreadable, or made with other settings)."""


def error_text(exc: BaseException) -> str:
    """``'DSAFormatError: run.dcm: BitsStored=18 exceeds BitsAllocated=16'``: the type and the message."""
    return f'{type(exc).__name__}: {exc}'


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def config_sha256(cfg: Any) -> str:
    """SHA-256 of a config's settings (``Config.to_dict()`` or a dict, keys sorted): equal for equal
    settings whatever the file's formatting or path."""
    settings = cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg)
    text = json.dumps(settings, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def path_key(path: str | os.PathLike) -> str:
    """The identity of an input file across runs: its absolute, resolved path."""
    return str(Path(path).resolve())


def finding(
    path: str | os.PathLike, result: dict, gif: str | None = None, export_errors: Iterable[dict] = ()
) -> dict:
    """The ``files`` entry of findings.json for one result of ``SequenceInferencer`` (module docstring)."""
    best = result['best_track']
    return {
        'path': str(path),
        'view': result['view'],
        'num_frames': result['num_frames'],
        'frame_rate': result['frame_rate'],
        'occlusion': 'yes' if result['occlusion'] else 'no',
        'bbox': None if best is None else xyxy_to_xywh(best['bbox']),
        'class_name': None if best is None else best['label_name'],
        'score': 0.0 if best is None else float(best['score']),
        'confidence': None if best is None else float(best['confidence']),
        'frame_ids': [] if best is None else [int(f) for f in best['frames']],
        'num_tracks': len(result['tracks']),
        'gif': gif,
        'export_errors': list(export_errors),
    }


def findings_header(
    config: str,
    checkpoint: str,
    config_digest: str,
    checkpoint_digest: str,
    score_thr: float,
    classes: Sequence[str],
) -> dict:
    """The top-level fields of findings.json (all but ``complete``, ``files`` and ``errors``)."""
    return {
        'config': str(config),
        'checkpoint': str(checkpoint),
        'config_sha256': config_digest,
        'checkpoint_sha256': checkpoint_digest,
        'score_thr': float(score_thr),
        'classes': list(classes),
        'bbox_format': BBOX_FORMAT,
    }


def write_json_atomic(document: Mapping, path: str | os.PathLike) -> None:
    """Write strict JSON (no NaN / inf) to a temporary file beside ``path``, then rename it over ``path``:
    a reader (or a crash) sees the old file or the new one, never half of one."""
    path = Path(path)
    text = json.dumps(document, indent=JSON_INDENT, allow_nan=False)
    tmp = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
    try:
        with open(tmp, 'w') as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class FindingsFile:
    """findings.json being written: a header, one entry per finished run, the per-file errors.

    Args:
        path: the file.
        header: the top-level fields (:func:`findings_header`).
        order: the input paths of this run; ``files`` are written in this order (entries of other paths,
            kept from a resumed file, after them).
        entries: finished entries to start from (a resumed file's).
        errors: per-file errors to start from (a resumed file's).
        max_write_share: largest fraction of the wall time spent rewriting the file; 0 writes on every
            :meth:`save`.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        header: dict,
        order: Sequence[str | os.PathLike] = (),
        entries: Iterable[dict] = (),
        errors: Iterable[dict] = (),
        max_write_share: float = 0.1,
    ) -> None:
        self.path = Path(path)
        self.header = dict(header)
        self.rank = {path_key(p): i for i, p in enumerate(order)}
        self.entries: dict[str, dict] = {path_key(e['path']): e for e in entries}
        self.errors: list[dict] = []
        for error in errors:
            self.add_error(error['path'], error['error'], save=False)
        self.complete = False
        self.max_write_share = max_write_share
        self._last_write_end = float('-inf')
        self._last_write_seconds = 0.0

    @classmethod
    def resume(
        cls, path: str | os.PathLike, header: dict, order: Sequence[str | os.PathLike] = (), **kwargs: Any
    ) -> FindingsFile:
        """A findings file continuing the one at ``path`` (a fresh one when there is none).

        Raises:
            ResumeError: the file is not findings.json JSON, or one of :data:`RESUME_KEYS` differs from
                ``header`` (the message names the field, both values and what to do).
        """
        path = Path(path)
        if not path.exists():
            return cls(path, header, order, **kwargs)
        try:
            previous = json.loads(path.read_text())
            entries, errors = list(previous['files']), list(previous['errors'])
            if not all(isinstance(e, dict) and 'path' in e for e in entries + errors):
                raise TypeError('an entry of "files" or "errors" has no "path"')
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ResumeError(f'{path}: cannot resume from it ({error_text(exc)})') from exc
        for key in RESUME_KEYS:
            if previous.get(key) != header[key]:
                raise ResumeError(
                    f'{path} was written with {key} {previous.get(key)!r}, this run has {header[key]!r} '
                    f'(config {previous.get("config")!r} / {header["config"]!r}, checkpoint '
                    f'{previous.get("checkpoint")!r} / {header["checkpoint"]!r}); resume with the same '
                    'config, checkpoint and --score-thr, or write to another --out-dir'
                )
        return cls(path, header, order, entries, errors, **kwargs)

    def __contains__(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` has an entry."""
        return path_key(path) in self.entries

    def is_done(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` needs no new run (what a resumed run skips): it has an entry with every side
        output written (no ``export_errors``), or, without an entry, an error (reading or predicting it
        failed; the same config and checkpoint fail the same way). A file with a missing GIF (failed, or
        interrupted while drawing) is done again."""
        key = path_key(path)
        entry = self.entries.get(key)
        if entry is not None:
            return not entry.get('export_errors')
        return any(path_key(e['path']) == key for e in self.errors)

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, entry: dict) -> None:
        """Record a finished run (replacing an entry of the same path) and save.

        Raises:
            ValueError: the entry is not strict JSON (e.g. a NaN); nothing is recorded.
        """
        json.dumps(entry, allow_nan=False)
        self.entries[path_key(entry['path'])] = entry
        self.save()

    def add_error(self, path: str | os.PathLike, error: str, save: bool = True) -> None:
        """Record a file that was skipped (once: an identical error is not repeated), and save."""
        record = {'path': str(path), 'error': str(error)}
        if record not in self.errors:
            self.errors.append(record)
        if save:
            self.save()

    def document(self) -> dict:
        """The whole findings.json content."""
        last = len(self.rank)
        files = sorted(self.entries.items(), key=lambda item: self.rank.get(item[0], last))
        return {
            **self.header,
            'complete': self.complete,
            'files': [entry for _, entry in files],
            'errors': list(self.errors),
        }

    def save(self, force: bool = False) -> bool:
        """Rewrite the file atomically, unless the last write was so recent that writing now would take more
        than ``max_write_share`` of the time (``force`` writes anyway). Returns whether it wrote."""
        now = time.monotonic()
        wait = self._last_write_seconds * (1.0 / self.max_write_share - 1.0) if self.max_write_share else 0.0
        if not force and now - self._last_write_end < wait:
            return False
        write_json_atomic(self.document(), self.path)
        self._last_write_end = time.monotonic()
        self._last_write_seconds = self._last_write_end - now
        return True

    def finish(self) -> None:
        """Mark the run complete and write."""
        self.complete = True
        self.save(force=True)
