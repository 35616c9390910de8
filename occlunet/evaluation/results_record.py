"""The typed record of a ``SequenceDetectionMetric`` result file (``tools/test.py --out results.json``).

``SequenceDetectionMetric`` writes a :class:`ResultsFile`; the readers load it with
:meth:`ResultsFile.from_json` (typed) or keep the validated JSON document
(:func:`~occlunet.evaluation.stats.load_results`). The JSON layout is the contract, unchanged since the
first version; ``schema_version`` was added in version 1 and a file without it is read as version 1::

    {"schema_version": 1,
     "settings": {"score_thr": .., "distance_thr": .., "ref_size": .., "single_class": .., "classes": [..],
                  "confidence": "...", "bbox_format": "xywh, DICOM pixels", <extra settings>},
     "num_sequences": N, "metrics": {"sequence/recall": .., ...}, "sweep": [{"score_thr": .., "tp": .., ...}],
     "sequences": [{"video_id", "file_name", "img_path", "ori_shape", "gt_label", "gt": [GT],
                    "best_track": TRACK|null, "tracks": [TRACK, best first], "outcome", "gt_class",
                    "pred_class", "distance"}]}

Boxes are ``[x, y, w, h]`` in DICOM pixels; NaN is written as null (strict JSON). Optional fields that
hand-made or older files lack read as None (``tracks``: an empty list).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Self

import numpy as np

from .verdict import is_correct_outcome, xywh_to_xyxy

SCHEMA_VERSION = 1  # the current results-file layout; files without the field are version 1
OPTIONAL_SEQUENCE_KEYS = ('img_path', 'ori_shape', 'gt_class', 'pred_class', 'distance')


class ResultsFileError(ValueError):
    """A file is not a (well-formed) ``SequenceDetectionMetric`` result file."""


def json_safe(value: Any) -> Any:
    """NaN / inf become None (strict JSON); containers are converted recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def _plain(record: Any) -> dict:
    """The dataclass ``record``'s fields as a dict, in field order (nested records not converted)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


@dataclass(kw_only=True)
class ResultGT:
    """One GT box of a sequence: ``bbox`` ``[x, y, w, h]`` in DICOM pixels, its label and class name."""

    bbox: list[float]
    label: int
    label_name: str | None = None

    @property
    def xyxy(self) -> np.ndarray:
        """``bbox`` as xyxy (4,)."""
        return xywh_to_xyxy(self.bbox)

    def to_json(self) -> dict:
        return _plain(self)

    @classmethod
    def from_json(cls, entry: dict) -> Self:
        """The record of a JSON entry; keys that are not fields are ignored, absent optional ones None."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in entry.items() if k in known})


@dataclass(kw_only=True)
class ResultTrack(ResultGT):
    """One linked track: ``bbox`` (confidence-weighted mean box, ``[x, y, w, h]``, DICOM pixels),
    ``label``, ``label_name``, ``score`` (trajectory score), ``confidence`` (mean detection confidence),
    ``passed`` (``confidence >= score_thr``), ``frame_ids``, ``track_id``."""

    score: float
    confidence: float
    passed: bool | None = None
    frame_ids: list[int] | None = None
    track_id: int | None = None


@dataclass(kw_only=True)
class ResultSequence:
    """One sequence of a result file: identity, GT, best track, all tracks (best first) and outcome."""

    video_id: Any
    file_name: str | None
    img_path: str | None = None
    ori_shape: list[int] | None = None
    gt_label: int | None
    gt: list[ResultGT] = field(default_factory=list)
    best_track: ResultTrack | None
    tracks: list[ResultTrack] = field(default_factory=list)
    outcome: str
    gt_class: str | None = None
    pred_class: str | None = None
    distance: float | None = None

    @property
    def correct(self) -> bool:
        """TP or TN: the sequence is judged right (what McNemar's test compares)."""
        return is_correct_outcome(self.outcome)

    @property
    def confidence(self) -> float:
        """The best track's confidence, 0.0 without a best track."""
        return 0.0 if self.best_track is None else float(self.best_track.confidence)

    def to_json(self) -> dict:
        out = _plain(self)
        out['gt'] = [g.to_json() for g in self.gt]
        out['best_track'] = None if self.best_track is None else self.best_track.to_json()
        out['tracks'] = [t.to_json() for t in self.tracks]
        return out

    @classmethod
    def from_json(cls, entry: dict) -> ResultSequence:
        best = entry['best_track']
        return cls(
            **{k: entry[k] for k in OPTIONAL_SEQUENCE_KEYS if k in entry},
            video_id=entry['video_id'],
            file_name=entry['file_name'],
            gt_label=entry['gt_label'],
            gt=[ResultGT.from_json(g) for g in entry['gt']],
            best_track=None if best is None else ResultTrack.from_json(best),
            tracks=[ResultTrack.from_json(t) for t in entry.get('tracks', [])],
            outcome=entry['outcome'],
        )


@dataclass(kw_only=True)
class ResultsFile:
    """A whole result file: the metric's settings, metrics (NaN as None in JSON), PR sweep and sequences."""

    settings: dict
    num_sequences: int
    metrics: dict
    sweep: list[dict]
    sequences: list[ResultSequence]
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict:
        """The JSON document (strict: NaN and inf as None)."""
        return json_safe(
            dict(
                schema_version=self.schema_version,
                settings=self.settings,
                num_sequences=self.num_sequences,
                metrics=self.metrics,
                sweep=self.sweep,
                sequences=[s.to_json() for s in self.sequences],
            )
        )

    @classmethod
    def from_json(cls, document: dict, source: str = '<results>') -> ResultsFile:
        """The record of a loaded document (a file without ``schema_version`` is version 1).

        Raises:
            ResultsFileError: a ``schema_version`` newer than this code reads, or a sequence entry that
                lacks a field (the message names ``source``, the entry and the key).
        """
        version = document.get('schema_version', 1)
        if not isinstance(version, int) or not 1 <= version <= SCHEMA_VERSION:
            raise ResultsFileError(
                f'{source}: results schema_version {version!r}; this occlunet reads versions 1 to '
                f'{SCHEMA_VERSION} (update occlunet)'
            )
        sequences = []
        for i, entry in enumerate(document['sequences']):
            try:
                sequences.append(ResultSequence.from_json(entry))
            except (KeyError, TypeError) as e:
                raise ResultsFileError(f'{source}: sequences[{i}] is malformed: {e!r}') from e
        return cls(
            settings=dict(document['settings']),
            num_sequences=document['num_sequences'],
            metrics=dict(document['metrics']),
            sweep=list(document['sweep']),
            sequences=sequences,
            schema_version=version,
        )

    def write(self, path: str | Path) -> Path:
        """Write the JSON document (indented, strict JSON) to ``path``, creating its folder."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, allow_nan=False))
        return path
