"""One trajectory: the detections the trajectory linker chained across frames of a DSA sequence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Columns of an xyxy box.
BOX_DIM = 4


@dataclass(eq=False)
class Track:
    """A trajectory of detections, at most one per frame, in frame order.

    OccluNet scores a trajectory by "the sum of its confidence scores, multiplied by duration (number of
    frames) to reward temporally persistent predictions" and keeps the highest-scoring one per sequence.
    The fields are converted to numpy on construction; ``score``, ``label``, ``bbox`` and ``centre`` are
    derived from them. Tracks compare by identity (``eq=False``): compare ``to_dict()`` for equal content.

    Args:
        frame_ids: frame index of each detection, strictly increasing.
        bboxes: the detections' boxes, xyxy in pixels.
        scores: the detections' confidences.
        labels: the detections' class labels.
        track_id: creation order within one ``TrajectoryLinker.link`` call (-1 when made by hand); breaks
            ties between equally scored tracks that start on the same frame.

    Shape:
        frame_ids: (K,), bboxes: (K, 4), scores: (K,), labels: (K,) with K >= 1.
    """

    frame_ids: np.ndarray
    bboxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    track_id: int = -1

    def __post_init__(self) -> None:
        self.frame_ids = np.asarray(self.frame_ids, dtype=np.int64).reshape(-1)
        self.bboxes = np.asarray(self.bboxes, dtype=np.float64)
        self.scores = np.asarray(self.scores, dtype=np.float64).reshape(-1)
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        num = len(self.frame_ids)
        if num == 0:
            raise ValueError('Track: needs at least one detection, got frame_ids of length 0')
        if self.bboxes.shape != (num, BOX_DIM):
            raise ValueError(f'Track: bboxes must have shape ({num}, {BOX_DIM}), got {self.bboxes.shape}')
        for name in ('scores', 'labels'):
            if len(getattr(self, name)) != num:
                raise ValueError(f'Track: {name} must have length {num}, got {len(getattr(self, name))}')
        if num > 1 and not np.all(np.diff(self.frame_ids) > 0):
            raise ValueError(f'Track: frame_ids must be strictly increasing, got {self.frame_ids.tolist()}')

    @property
    def num_frames(self) -> int:
        """Duration: the number of frames with a detection."""
        return len(self.frame_ids)

    def __len__(self) -> int:
        return self.num_frames

    @property
    def first_frame(self) -> int:
        """Frame index of the first detection."""
        return int(self.frame_ids[0])

    @property
    def last_frame(self) -> int:
        """Frame index of the last detection."""
        return int(self.frame_ids[-1])

    @property
    def score(self) -> float:
        """Sum of the confidences times the duration (OccluNet's trajectory score)."""
        return float(self.scores.sum() * self.num_frames)

    @property
    def label(self) -> int:
        """The label with the largest summed confidence (the smallest such label on a tie)."""
        values, inverse = np.unique(self.labels, return_inverse=True)
        sums = np.bincount(inverse.reshape(-1), weights=self.scores, minlength=len(values))
        return int(values[np.argmax(sums)])

    @property
    def bbox(self) -> np.ndarray:
        """Confidence-weighted mean box, xyxy, shape (4,); the plain mean when all scores are 0."""
        total = self.scores.sum()
        if total <= 0:
            return self.bboxes.mean(axis=0)
        return (self.scores[:, None] * self.bboxes).sum(axis=0) / total

    @property
    def centre(self) -> tuple[float, float]:
        """(x, y) centre of ``bbox``."""
        x1, y1, x2, y2 = self.bbox
        return float((x1 + x2) / 2), float((y1 + y2) / 2)

    def to_dict(self) -> dict:
        """JSON-serialisable summary: frame_ids, bbox (xyxy), label, score, scores, track_id."""
        return dict(
            frame_ids=[int(f) for f in self.frame_ids],
            bbox=[float(v) for v in self.bbox],
            label=self.label,
            score=self.score,
            scores=[float(s) for s in self.scores],
            track_id=int(self.track_id),
        )

    def sort_key(self) -> tuple[float, int, int]:
        """Ascending key that puts the best track first: score desc, then first frame, then creation."""
        return -self.score, self.first_frame, int(self.track_id)


def best_track(tracks: Sequence[Track]) -> Track | None:
    """The highest-scoring track (OccluNet keeps one per sequence), or None when there are none.

    Ties are broken as ``TrajectoryLinker.link`` sorts: earlier first frame, then earlier creation.
    """
    return min(tracks, key=Track.sort_key, default=None)
