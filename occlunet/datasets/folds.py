"""Chronological, study-wise test set and cross-validation folds of an annotation file (Mittmann et al.).

The unit of the split is the **study**: the videos sharing a ``study_id`` (the PA and LAT runs of one
examination) always land in the same part; a video without ``study_id`` is a study of its own. Studies are
ordered by acquisition time, a study's time being its earliest video's ``acquired``; ties are broken by the
study key (the ``study_id``, ``<video id=N>`` for a video without one). Then

- the earliest ``round(test_fraction * num_studies)`` studies (rounded half up, at least 1) are the test set;
- the remaining studies, still in time order, are cut into ``num_folds`` contiguous blocks whose sizes
  differ by at most 1 (earlier folds take the extra study); no shuffling.

Fold ``k``'s validation set is block ``k``, its training set every other block (never the test set).

A video without ``acquired`` is an error naming the file and the video, unless ``allow_undated``: then a
study's time is that of its earliest dated video, and studies without any dated video come after all dated
ones, ordered by study key.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SPLIT_METHOD = 'chronological by study (occlunet.datasets.folds)'


class FoldSplitError(ValueError):
    """The annotation document cannot be split as asked; the message names the file and the record."""


@dataclass
class Study:
    """The videos of one examination and what the split needs to know about them.

    Attributes:
        key: ``study_id``, or ``<video id=N>`` for a video without one.
        acquired: the earliest acquisition time of its videos (None: no video dated, ``allow_undated``).
        video_ids: its videos, in file order.
        views: the ``view`` of each video, in the same order.
        labels: the sequence label of each video (1: has an annotation, i.e. an occlusion).
        patient_id: the first non-null ``patient_id`` of its videos.
    """

    key: str
    acquired: datetime | None
    video_ids: list[int] = field(default_factory=list)
    views: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    patient_id: str | None = None

    @property
    def label(self) -> int:
        """1 if any of its videos shows an occlusion."""
        return int(any(self.labels))


@dataclass
class FoldSplit:
    """Test studies and the cross-validation folds, each a list of studies in time order."""

    test: list[Study]
    folds: list[list[Study]]

    def train(self, k: int) -> list[Study]:
        """Fold ``k``'s training studies: every fold but ``k``, in time order."""
        return [s for j, fold in enumerate(self.folds) if j != k for s in fold]

    def val(self, k: int) -> list[Study]:
        """Fold ``k``'s validation studies."""
        return list(self.folds[k])

    def parts(self) -> dict[str, list[Study]]:
        """``test``, ``fold0`` ... ``fold{K-1}``: the disjoint parts, in time order."""
        return {'test': self.test, **{f'fold{k}': fold for k, fold in enumerate(self.folds)}}


def _parse_time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise FoldSplitError(f"{where}: field 'acquired': expected an ISO 8601 date-time, got {value!r}")
    try:
        return datetime.fromisoformat(value)
    except ValueError as e:
        raise FoldSplitError(f"{where}: field 'acquired': {value!r} is not an ISO 8601 date-time") from e


def _videos(document: Any, source: str) -> list[dict]:
    if not isinstance(document, dict) or not isinstance(document.get('videos'), list):
        raise FoldSplitError(f"{source}: not an annotation file: expected a JSON object with a 'videos' list")
    videos = document['videos']
    seen: set[int] = set()
    for i, video in enumerate(videos):
        vid = video.get('id') if isinstance(video, dict) else None
        if not isinstance(vid, int) or isinstance(vid, bool):
            raise FoldSplitError(f"{source}: videos[{i}]: field 'id': expected an integer, got {vid!r}")
        if vid in seen:
            raise FoldSplitError(f'{source}: video id={vid}: duplicate id')
        seen.add(vid)
    return videos


def positive_video_ids(document: dict) -> set[int]:
    """Ids of the videos with at least one annotation (sequence label 1)."""
    return {a.get('video_id') for a in document.get('annotations') or [] if isinstance(a, dict)}


def group_studies(
    document: dict, *, source: str = '<annotations>', allow_undated: bool = False
) -> list[Study]:
    """The studies of an annotation document in chronological order (see the module docstring).

    Args:
        document: the loaded annotation JSON (``videos`` with ``id``, ``study_id``, ``acquired``, ...).
        source: the file name used in error messages.
        allow_undated: order videos without ``acquired`` as the module docstring says instead of failing.

    Raises:
        FoldSplitError: no ``videos`` list, a bad or duplicate video id, a missing (unless
            ``allow_undated``) or unparsable ``acquired``, or dated videos mixing time zones with none.
    """
    positives = positive_video_ids(document)
    studies: dict[str, Study] = {}
    for video in _videos(document, source):
        vid = video['id']
        where = f'{source}: video id={vid} ({video.get("file_name")})'
        raw = video.get('acquired')
        if raw is None and not allow_undated:
            raise FoldSplitError(
                f"{where}: field 'acquired' is missing; a chronological split needs every video's "
                'acquisition time (or pass --allow-undated to order undated studies last)'
            )
        time = None if raw is None else _parse_time(raw, where)
        study_id = video.get('study_id')
        key = str(study_id) if study_id is not None else f'<video id={vid}>'
        study = studies.setdefault(key, Study(key, time))
        if time is not None and (study.acquired is None or _earlier(time, study.acquired, where)):
            study.acquired = time
        study.video_ids.append(vid)
        study.views.append(str(video.get('view')))
        study.labels.append(int(vid in positives))
        if study.patient_id is None and video.get('patient_id') is not None:
            study.patient_id = str(video['patient_id'])
    ordered = list(studies.values())
    _check_time_zones(ordered, source)
    return sorted(ordered, key=lambda s: (s.acquired is None, s.acquired or datetime.min, s.key))


def _earlier(a: datetime, b: datetime, where: str) -> bool:
    try:
        return a < b
    except TypeError as e:  # naive vs aware
        raise FoldSplitError(f"{where}: field 'acquired': mixes time-zone-aware and naive date-times") from e


def _check_time_zones(studies: list[Study], source: str) -> None:
    aware = {s.acquired.utcoffset() is not None for s in studies if s.acquired is not None}
    if len(aware) > 1:
        naive = next(s.key for s in studies if s.acquired is not None and s.acquired.utcoffset() is None)
        zoned = next(s.key for s in studies if s.acquired is not None and s.acquired.utcoffset() is not None)
        raise FoldSplitError(
            f"{source}: field 'acquired': study {naive} has a date-time without time zone, study {zoned} one "
            'with; use one kind throughout'
        )


def fold_sizes(num_items: int, num_folds: int) -> list[int]:
    """Sizes of ``num_folds`` contiguous blocks of ``num_items``, differing by at most 1, larger first."""
    base, extra = divmod(num_items, num_folds)
    return [base + (k < extra) for k in range(num_folds)]


def num_test_studies(num_studies: int, test_fraction: float) -> int:
    """``round(test_fraction * num_studies)``, rounded half up, at least 1."""
    return max(1, math.floor(test_fraction * num_studies + 0.5))


def chronological_folds(
    document: dict,
    *,
    test_fraction: float = 0.2,
    num_folds: int = 5,
    source: str = '<annotations>',
    allow_undated: bool = False,
) -> FoldSplit:
    """Split the studies of an annotation document into a test set and ``num_folds`` folds by time.

    Args:
        document: the loaded annotation JSON.
        test_fraction: share of the studies (the earliest ones) held out as test set, in (0, 1).
        num_folds: number of cross-validation folds, at least 2.
        source: the file name used in error messages.
        allow_undated: see :func:`group_studies`.

    Returns:
        The test studies and the folds, every study exactly once, each part in time order.

    Raises:
        FoldSplitError: a bad argument, a bad document (see :func:`group_studies`), or too few studies
            for a test set and ``num_folds`` non-empty folds.
    """
    if not 0.0 < test_fraction < 1.0:
        raise FoldSplitError(f'test_fraction must be in (0, 1), got {test_fraction}')
    if isinstance(num_folds, bool) or not isinstance(num_folds, int) or num_folds < 2:
        raise FoldSplitError(f'the number of folds must be an integer >= 2, got {num_folds!r}')
    studies = group_studies(document, source=source, allow_undated=allow_undated)
    n_test = num_test_studies(len(studies), test_fraction)
    if len(studies) - n_test < num_folds:
        raise FoldSplitError(
            f'{source}: {len(studies)} studies are too few for a test set ({n_test} = test fraction '
            f'{test_fraction} of them, at least 1) and {num_folds} non-empty folds; need at least '
            f'{n_test + num_folds} studies (or fewer folds)'
        )
    rest = studies[n_test:]
    folds, start = [], 0
    for size in fold_sizes(len(rest), num_folds):
        folds.append(rest[start : start + size])
        start += size
    return FoldSplit(test=studies[:n_test], folds=folds)


def subset_document(document: dict, video_ids: Sequence[int], split_name: str | None = None) -> dict:
    """A copy of the annotation document restricted to ``video_ids``.

    Every top-level key is kept. ``videos`` keep their file order; ``annotations`` (and COCO-VID
    ``images``, where present) keep those of the kept videos (annotations referring to an ``image_id``
    follow their image); ``categories`` are kept whole, since a label is a category's position in that
    list. With ``split_name``, an ``info`` object gets ``split`` and ``split_method`` entries.
    """
    keep = set(video_ids)
    out = copy.deepcopy({k: v for k, v in document.items() if k not in ('videos', 'annotations', 'images')})
    out['videos'] = [copy.deepcopy(v) for v in document['videos'] if v['id'] in keep]
    image_ids: set | None = None
    if isinstance(document.get('images'), list):
        out['images'] = [copy.deepcopy(im) for im in document['images'] if im.get('video_id') in keep]
        image_ids = {im.get('id') for im in out['images']}
    elif 'images' in document:
        out['images'] = copy.deepcopy(document['images'])

    def kept(ann: dict) -> bool:
        if 'video_id' in ann:
            return ann['video_id'] in keep
        return image_ids is not None and ann.get('image_id') in image_ids

    if 'annotations' in document:
        out['annotations'] = [copy.deepcopy(a) for a in document['annotations'] or [] if kept(a)]
    if split_name is not None and isinstance(out.get('info'), dict):
        out['info'] = {**out['info'], 'split': split_name, 'split_method': SPLIT_METHOD}
    # the original key order
    return {k: out[k] for k in document if k in out}


def split_documents(document: dict, split: FoldSplit) -> dict[str, dict]:
    """The annotation documents to write: ``test``, and ``fold{k}_train`` / ``fold{k}_val`` for every k."""

    def ids(studies: list[Study]) -> list[int]:
        return [vid for s in studies for vid in s.video_ids]

    docs = {'test': subset_document(document, ids(split.test), 'test')}
    for k in range(len(split.folds)):
        docs[f'fold{k}_train'] = subset_document(document, ids(split.train(k)), f'fold{k}_train')
        docs[f'fold{k}_val'] = subset_document(document, ids(split.val(k)), f'fold{k}_val')
    return docs


def _iso(time: datetime | None) -> str | None:
    return None if time is None else time.isoformat()


def part_summary(studies: list[Study]) -> dict:
    """Counts and time range of a list of studies (what ``folds.json`` holds per part)."""
    labels = [label for s in studies for label in s.labels]
    dated = [s.acquired for s in studies if s.acquired is not None]
    return {
        'num_studies': len(studies),
        'num_sequences': len(labels),
        'num_positive': sum(labels),
        'num_negative': len(labels) - sum(labels),
        'num_positive_studies': sum(s.label for s in studies),
        'num_undated_studies': len(studies) - len(dated),
        'first_acquired': _iso(min(dated)) if dated else None,
        'last_acquired': _iso(max(dated)) if dated else None,
        'study_ids': [s.key for s in studies],
    }


def patients_across_parts(split: FoldSplit) -> dict[str, list[str]]:
    """Patients whose studies fall into more than one part (test / fold k), with those parts."""
    parts: dict[str, list[str]] = {}
    for name, studies in split.parts().items():
        for s in studies:
            if s.patient_id is not None and name not in parts.setdefault(s.patient_id, []):
                parts[s.patient_id].append(name)
    return {p: names for p, names in parts.items() if len(names) > 1}


def split_summary(split: FoldSplit, *, source: str, test_fraction: float) -> dict:
    """The ``folds.json`` document: settings, per-part summaries and the files of each fold."""
    return {
        'source': source,
        'method': SPLIT_METHOD,
        'test_fraction': test_fraction,
        'num_folds': len(split.folds),
        'test': {**part_summary(split.test), 'file': 'test.json'},
        'folds': [
            {
                'fold': k,
                **part_summary(fold),
                'train_file': f'fold{k}_train.json',
                'val_file': f'fold{k}_val.json',
            }
            for k, fold in enumerate(split.folds)
        ],
        'patients_across_parts': patients_across_parts(split),
    }
