"""Trajectory-based optimisation: link per-frame detections of a DSA sequence into scored trajectories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
from mmdet.registry import TASK_UTILS
from scipy.optimize import linear_sum_assignment

from .track import BOX_DIM, Track

FIELDS = ('bboxes', 'scores', 'labels')


def _to_numpy(value: object) -> np.ndarray:
    """A numpy view of a tensor, an mmdet ``BaseBoxes`` (its ``.tensor``), an array or a list."""
    value = getattr(value, 'tensor', value)  # mmdet HorizontalBoxes
    if hasattr(value, 'detach'):  # torch.Tensor, without importing torch
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def frame_arrays(index: int, entry: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(bboxes, scores, labels)`` of one frame's detections as float64/float64/int64 numpy arrays.

    Args:
        index: the frame's position in the sequence, for error messages.
        entry: an mmengine ``InstanceData`` or a mapping with ``bboxes``, ``scores`` and ``labels`` (torch
            tensors, numpy arrays or lists); an entry holding none of them (or None) is an empty frame.

    Shape:
        bboxes: (N, 4) xyxy, scores: (N,), labels: (N,); N may be 0.

    Raises:
        TypeError: the entry is neither an ``InstanceData``-like object nor a mapping.
        ValueError: a field is missing or has the wrong shape; the message names the frame and field.
    """
    if entry is None:
        entry = {}
    if isinstance(entry, Mapping):
        values = {name: entry.get(name) for name in FIELDS}
    elif hasattr(entry, 'keys'):  # InstanceData
        values = {name: getattr(entry, name, None) for name in FIELDS}
    else:
        raise TypeError(f'TrajectoryLinker: frame {index}: expected InstanceData or dict, got {type(entry)}')
    if all(v is None for v in values.values()):
        return np.zeros((0, BOX_DIM)), np.zeros(0), np.zeros(0, dtype=np.int64)
    missing = [name for name, v in values.items() if v is None]
    if missing:
        raise ValueError(f'TrajectoryLinker: frame {index}: missing field(s) {missing}')

    bboxes = _to_numpy(values['bboxes']).astype(np.float64)
    if bboxes.size == 0:
        bboxes = bboxes.reshape(0, BOX_DIM)
    if bboxes.ndim != 2 or bboxes.shape[1] != BOX_DIM:
        raise ValueError(
            f'TrajectoryLinker: frame {index}: bboxes must have shape (N, 4), got {bboxes.shape}'
        )
    num = len(bboxes)
    scores = _to_numpy(values['scores']).astype(np.float64)
    labels = _to_numpy(values['labels']).astype(np.int64)
    for name, array in (('scores', scores), ('labels', labels)):
        if array.shape != (num,):
            raise ValueError(
                f'TrajectoryLinker: frame {index}: {name} must have shape ({num},) to match bboxes '
                f'{bboxes.shape}, got {array.shape}'
            )
    return bboxes, scores, labels


@dataclass
class _Chain:
    """A growing trajectory: lists to append to while linking, frozen into a ``Track`` at the end."""

    track_id: int
    label: int  # the label of the first detection; all of a class-aware chain's detections share it
    frame_ids: list[int] = field(default_factory=list)
    bboxes: list[np.ndarray] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    centre: np.ndarray = field(default_factory=lambda: np.zeros(2))  # centre of the last box

    def append(self, frame_id: int, bbox: np.ndarray, score: float, label: int, centre: np.ndarray) -> None:
        self.frame_ids.append(frame_id)
        self.bboxes.append(bbox)
        self.scores.append(score)
        self.labels.append(label)
        self.centre = centre

    def to_track(self) -> Track:
        return Track(self.frame_ids, np.stack(self.bboxes), self.scores, self.labels, self.track_id)


@TASK_UTILS.register_module()
class TrajectoryLinker:
    """Link per-frame detections into trajectories and score them (OccluNet's trajectory optimisation).

    OccluNet links "detections across frames if their centers lay within a radius"; each trajectory's
    score is "the sum of its confidence scores, multiplied by duration (number of frames)", and the
    highest-scoring trajectory per sequence is kept (``best_track`` or ``link(...)[0]``).

    Frames are processed in order. Detections scoring below ``score_thr`` are dropped. The remaining ones
    are matched one-to-one to the active tracks (those that may still take a detection at this frame) by
    the Hungarian algorithm on the distances between the tracks' last centres and the detections' centres;
    pairs farther apart than ``radius`` (or, when ``class_agnostic`` is False, of different labels) are
    never linked: the matching makes as many links as possible, then the shortest in total. Unmatched
    detections start new tracks. Work is linear in the number of frames.

    The radius is in the same pixels as the boxes; callers measuring in a reference frame (e.g. the
    paper's resampled frame size) rescale the boxes first.

    Args:
        radius: largest centre distance in pixels that links two detections. The paper does not give
            its value; the default is its evaluation tolerance, 25 px between centres.
        score_thr: detections below this confidence are ignored; default 0.01, the paper's minimum
            confidence of a true positive.
        max_gap: frames a track may skip: a track last seen at frame f takes a detection at frame g only if
            g - f - 1 <= max_gap. Default 0 (consecutive frames only), as the paper links across frames.
        class_agnostic: link detections regardless of label (the track's ``label`` is then the label with
            the largest summed confidence); when False a detection joins only a track of its own label.

    Shape:
        per_frame: T entries of bboxes (N_t, 4) xyxy, scores (N_t,), labels (N_t,) -> tracks, best first.
    """

    def __init__(
        self, radius: float = 25.0, score_thr: float = 0.01, max_gap: int = 0, class_agnostic: bool = True
    ) -> None:
        if not radius > 0:
            raise ValueError(f'TrajectoryLinker: radius must be > 0 pixels, got {radius}')
        if not 0.0 <= score_thr <= 1.0:
            raise ValueError(f'TrajectoryLinker: score_thr must be in [0, 1], got {score_thr}')
        if isinstance(max_gap, bool) or not isinstance(max_gap, Integral) or max_gap < 0:
            raise ValueError(f'TrajectoryLinker: max_gap must be an integer >= 0, got {max_gap}')
        self.radius = float(radius)
        self.score_thr = float(score_thr)
        self.max_gap = int(max_gap)
        self.class_agnostic = bool(class_agnostic)

    def link(self, per_frame: Sequence[object]) -> list[Track]:
        """Link the detections of a sequence into tracks.

        Args:
            per_frame: one entry per frame, in frame order (entry i is frame i): an ``InstanceData`` or a
                dict with ``bboxes``, ``scores`` and ``labels`` as torch tensors or numpy arrays; an empty
                entry is a frame without detections.

        Returns:
            The tracks sorted best first: by ``Track.score`` descending, ties by first frame, then by
            creation order. Empty when no detection passes ``score_thr``.
        """
        frames = [frame_arrays(i, entry) for i, entry in enumerate(per_frame)]  # validate all up front
        active: list[_Chain] = []
        finished: list[_Chain] = []
        num_created = 0
        for frame_id, (bboxes, scores, labels) in enumerate(frames):
            # a track last seen at f is retired once frame_id - f - 1 > max_gap: it can never grow again
            alive = [c for c in active if frame_id - c.frame_ids[-1] - 1 <= self.max_gap]
            finished.extend(c for c in active if frame_id - c.frame_ids[-1] - 1 > self.max_gap)
            active = alive

            # non-finite boxes (an overflowing, barely trained head) cannot be linked by distance: drop them
            keep = (scores >= self.score_thr) & np.isfinite(bboxes).all(axis=1) & np.isfinite(scores)
            bboxes, scores, labels = bboxes[keep], scores[keep], labels[keep]
            if len(scores) == 0:
                continue
            centres = (bboxes[:, :2] + bboxes[:, 2:]) / 2  # (N, 2)

            taken = np.zeros(len(scores), dtype=bool)
            for row, col in zip(*self._assign(active, centres, labels)):
                active[row].append(frame_id, bboxes[col], float(scores[col]), int(labels[col]), centres[col])
                taken[col] = True
            for col in np.flatnonzero(~taken):
                chain = _Chain(track_id=num_created, label=int(labels[col]))
                chain.append(frame_id, bboxes[col], float(scores[col]), int(labels[col]), centres[col])
                active.append(chain)
                num_created += 1

        tracks = [chain.to_track() for chain in finished + active]
        return sorted(tracks, key=Track.sort_key)

    def _assign(
        self, active: list[_Chain], centres: np.ndarray, labels: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Hungarian matching of active tracks (rows) to detections (columns) within ``radius``.

        Shape:
            centres: (N, 2), labels: (N,) -> rows (M,), cols (M,) of the linked pairs.
        """
        empty = np.zeros(0, dtype=np.int64)
        if not active:
            return empty, empty
        track_centres = np.stack([c.centre for c in active])  # (A, 2)
        dist = np.linalg.norm(track_centres[:, None, :] - centres[None, :, :], axis=-1)  # (A, N)
        allowed = dist <= self.radius
        if not self.class_agnostic:
            track_labels = np.array([c.label for c in active])  # (A,)
            allowed &= track_labels[:, None] == labels[None, :]
        if not allowed.any():
            return empty, empty
        # A forbidden pair costs more than any min(A, N) allowed pairs together, so the solver first
        # maximises the number of allowed links and then minimises their total distance.
        forbidden_cost = self.radius * (min(dist.shape) + 1)
        rows, cols = linear_sum_assignment(np.where(allowed, dist, forbidden_cost))
        linked = allowed[rows, cols]
        return rows[linked], cols[linked]

    def __call__(self, per_frame: Sequence[object]) -> list[Track]:
        """Same as ``link``."""
        return self.link(per_frame)

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(radius={self.radius}, score_thr={self.score_thr}, '
            f'max_gap={self.max_gap}, class_agnostic={self.class_agnostic})'
        )
