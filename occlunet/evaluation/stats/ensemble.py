"""Ensembles of sequence classifiers and the paired PA + LAT decision (Mittmann et al. 2022).

Inputs are classifier result documents (``classification.py``): one per model, a model trained on one view
(PA or LAT) or on both. A video is identified by its ``video_id``; every document that scores a video must
agree on its ``file_name``, ``study_id``, ``view`` and ground-truth ``label``.

- **Per-view ensemble**: a video's probability is the mean of the probabilities of every model that scored
  it; the metrics of a view are taken over all its videos.
- **Paired decision** (one verdict per study, the videos sharing a ``study_id``; a video without one is a
  study of its own): probability = the mean over all models of both views, i.e. of every score of every
  video of the study (with as many models per view, the mean of the two per-view ensembles); label =
  positive if any of its videos is positive.
- **A study with one view only** (no LAT or no PA video scored): its paired probability is the mean of the
  scores it has, i.e. that view's ensemble probability; such studies are counted and listed
  (``single_view_studies``) so that a caller can warn, or refuse them (``require_pairs``).

Decisions are ``probability >= threshold`` everywhere.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .classification import BinaryMetrics, binary_metrics

PAIR_VIEWS: tuple[str, str] = ('PA', 'LAT')
PAIRED = 'PA+LAT'
UNKNOWN_VIEW = 'UNKNOWN'  # a null ``view`` (as the DICOM loader names an undetermined projection)


class EnsembleError(ValueError):
    """Result files that cannot be combined; the message names the files and the video or study."""


@dataclass
class EnsembleSequence:
    """One video with the scores of every model that scored it.

    Attributes:
        scores: one probability per model (input document) that scored the video.
        sources: the names of those models, in the same order.
    """

    video_id: int
    file_name: str
    study_id: str | None
    view: str
    label: int
    scores: list[float] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        """The ensemble probability: the mean of ``scores``."""
        return statistics.fmean(self.scores)

    @property
    def study_key(self) -> str:
        return self.study_id if self.study_id is not None else f'<video id={self.video_id}>'


@dataclass
class PairedStudy:
    """The paired decision input of one study.

    Attributes:
        key: ``study_id``, or ``<video id=N>`` for a video without one.
        label: 1 if any of its videos is positive.
        score: the mean of every score of every one of its videos.
        views: the views of its videos, in the order seen.
        video_ids: its videos.
        complete: whether it has every view of ``PAIR_VIEWS``.
    """

    key: str
    label: int
    score: float
    views: list[str]
    video_ids: list[int]
    complete: bool


def merge_results(documents: Sequence[dict], names: Sequence[str]) -> list[EnsembleSequence]:
    """Gather the scores of every video over the documents, in order of first appearance.

    Args:
        documents: validated classifier result documents, one per model.
        names: one name per document (the file path), used in messages and ``sources``.

    Raises:
        EnsembleError: two documents disagree on a video's label, file name, study or view.

    A null ``view`` becomes ``UNKNOWN``.
    """
    if len(documents) != len(names):
        raise ValueError(f'{len(names)} names for {len(documents)} documents')
    merged: dict[int, EnsembleSequence] = {}
    for doc, name in zip(documents, names):
        for seq in doc['sequences']:
            vid = int(seq['video_id'])
            view = UNKNOWN_VIEW if seq['view'] is None else str(seq['view'])
            identity = dict(
                file_name=seq['file_name'], study_id=seq['study_id'], view=view, label=int(seq['label'])
            )
            entry = merged.get(vid)
            if entry is None:
                entry = merged[vid] = EnsembleSequence(vid, **identity)
            else:
                for key, theirs in identity.items():
                    mine = getattr(entry, key)
                    if theirs != mine:
                        raise EnsembleError(
                            f'{entry.sources[0]} and {name} disagree on video id={vid} ({entry.file_name}): '
                            f'{key} {mine!r} vs {theirs!r}; are they results on the same annotation file?'
                        )
            entry.scores.append(float(seq['score']))
            entry.sources.append(name)
    return list(merged.values())


def view_order(views: Sequence[str]) -> list[str]:
    """The distinct views, PA and LAT first, then the others sorted."""
    distinct = set(views)
    return [v for v in PAIR_VIEWS if v in distinct] + sorted(distinct - set(PAIR_VIEWS))


def by_view(sequences: Sequence[EnsembleSequence]) -> dict[str, list[EnsembleSequence]]:
    """The sequences of each view (see :func:`view_order`)."""
    return {v: [s for s in sequences if s.view == v] for v in view_order([s.view for s in sequences])}


def pair_studies(sequences: Sequence[EnsembleSequence]) -> list[PairedStudy]:
    """One :class:`PairedStudy` per study, in order of first appearance (rules: module docstring)."""
    groups: dict[str, list[EnsembleSequence]] = {}
    for s in sequences:
        groups.setdefault(s.study_key, []).append(s)
    studies = []
    for key, members in groups.items():
        views = [s.view for s in members]
        studies.append(
            PairedStudy(
                key=key,
                label=int(any(s.label for s in members)),
                score=statistics.fmean(score for s in members for score in s.scores),
                views=views,
                video_ids=[s.video_id for s in members],
                complete=all(v in views for v in PAIR_VIEWS),
            )
        )
    return studies


def view_metrics(sequences: Sequence[EnsembleSequence], threshold: float) -> dict[str, BinaryMetrics]:
    """Metrics of the ensemble probability per view."""
    return {
        view: binary_metrics([s.label for s in seqs], [s.score for s in seqs], threshold)
        for view, seqs in by_view(sequences).items()
    }


def paired_metrics(studies: Sequence[PairedStudy], threshold: float) -> BinaryMetrics:
    """Metrics of the paired decision over ``studies``."""
    return binary_metrics([s.label for s in studies], [s.score for s in studies], threshold)


@dataclass
class Evaluation:
    """The per-view and paired results of one model or one ensemble.

    Attributes:
        views: metrics per view.
        paired: metrics of the paired decision over every study (single-view ones by their one view);
            None when no study has both views (e.g. a model of one view).
        sequences: the merged videos.
        studies: the paired studies.
    """

    views: dict[str, BinaryMetrics]
    paired: BinaryMetrics | None
    sequences: list[EnsembleSequence]
    studies: list[PairedStudy]

    @property
    def single_view_studies(self) -> list[PairedStudy]:
        return [s for s in self.studies if not s.complete]

    def to_dict(self) -> dict:
        """Numbers only (NaN as None): per-view and paired metrics, study counts, single-view studies."""
        return {
            'views': {v: m.to_dict() for v, m in self.views.items()},
            'paired': None if self.paired is None else self.paired.to_dict(),
            'num_studies': len(self.studies),
            'num_single_view_studies': len(self.single_view_studies),
            'single_view_studies': [s.key for s in self.single_view_studies],
        }


def evaluate(
    documents: Sequence[dict], names: Sequence[str], threshold: float = 0.5, *, require_pairs: bool = False
) -> Evaluation:
    """Ensemble ``documents`` (one model each, or just one) and compute the per-view and paired metrics.

    Raises:
        EnsembleError: the documents disagree on a video (see :func:`merge_results`), or
            ``require_pairs`` and a study lacks PA or LAT (the message names the first such study).
    """
    sequences = merge_results(documents, names)
    studies = pair_studies(sequences)
    single = [s for s in studies if not s.complete]
    if require_pairs and single:
        first = single[0]
        raise EnsembleError(
            f'{len(single)} of {len(studies)} studies lack a PA or LAT sequence (e.g. study {first.key}: '
            f'views {first.views}, video ids {first.video_ids}) in {", ".join(names)}'
        )
    paired = paired_metrics(studies, threshold) if len(single) < len(studies) else None
    return Evaluation(view_metrics(sequences, threshold), paired, sequences, studies)


def short_names(paths: Sequence[str]) -> list[str]:
    """The shortest trailing parts of ``paths``, without the extension, that tell them apart
    (``a/fold0/results.json`` -> ``fold0/results``); the whole paths where even those coincide."""
    parts = [Path(p).parts for p in paths]
    longest = max((len(p) for p in parts), default=0)
    for depth in range(1, longest + 1):
        names = [str(Path(*p[-depth:]).with_suffix('')) for p in parts]
        if len(set(names)) == len(names):
            return names
    return [str(p) for p in paths]
