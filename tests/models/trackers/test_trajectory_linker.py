"""TrajectoryLinker and Track: hand-made detections with known trajectories."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from mmdet.registry import TASK_UTILS
from mmengine.structures import InstanceData

from occlunet.models.trackers import Track, TrajectoryLinker, best_track

HALF = 2.0  # half side of the hand-made square boxes


def box(cx: float, cy: float) -> list[float]:
    return [cx - HALF, cy - HALF, cx + HALF, cy + HALF]


def frame(*dets: tuple[float, float, float, int]) -> dict:
    """A dict of numpy arrays from (cx, cy, score, label) tuples."""
    return dict(
        bboxes=np.array([box(cx, cy) for cx, cy, _, _ in dets], dtype=np.float32).reshape(-1, 4),
        scores=np.array([s for _, _, s, _ in dets], dtype=np.float32),
        labels=np.array([lab for *_, lab in dets], dtype=np.int64),
    )


def as_instance_data(entry: dict) -> InstanceData:
    return InstanceData(**{k: torch.from_numpy(np.asarray(v)) for k, v in entry.items()})


def centres(track: Track) -> list[tuple[float, float]]:
    return [(float((b[0] + b[2]) / 2), float((b[1] + b[3]) / 2)) for b in track.bboxes]


# Two objects moving towards each other along crossing paths, 10 px per frame. At frame 2 B's last centre
# (18, 0) is nearest to A's new centre (10, 0) (8 px, the closest pair), so a greedy nearest-first match
# swaps the identities; Hungarian keeps them (10 + 10 px in total against 8 + 14.4 px).
PATH_A = [(-10.0, 0.0), (0.0, 0.0), (10.0, 0.0), (20.0, 0.0)]
PATH_B = [(24.0, -8.0), (18.0, 0.0), (12.0, 8.0), (6.0, 16.0)]


def crossing_frames() -> list[dict]:
    # B listed first in every frame: the answer must not depend on detection order
    return [frame((*b, 0.5, 0), (*a, 0.75, 0)) for a, b in zip(PATH_A, PATH_B)]


def greedy_nearest(tracks: np.ndarray, dets: np.ndarray, radius: float) -> dict[int, int]:
    """Reference greedy matcher: repeatedly link the globally closest free pair within radius."""
    dist = np.linalg.norm(tracks[:, None] - dets[None], axis=-1)
    pairs: dict[int, int] = {}
    for flat in np.argsort(dist, axis=None, kind='stable'):
        row, col = np.unravel_index(flat, dist.shape)
        if dist[row, col] <= radius and row not in pairs and col not in pairs.values():
            pairs[int(row)] = int(col)
    return pairs


def test_crossing_tracks_keep_identity_where_greedy_swaps() -> None:
    # frame 1 -> 2: greedy gives track A (row 0) B's detection (col 1) and track B A's detection
    last = np.array([PATH_A[1], PATH_B[1]])
    new = np.array([PATH_A[2], PATH_B[2]])
    assert greedy_nearest(last, new, radius=25.0) == {0: 1, 1: 0}  # the swap

    tracks = TrajectoryLinker().link(crossing_frames())
    assert len(tracks) == 2
    by_start = {centres(t)[0]: t for t in tracks}
    assert centres(by_start[PATH_A[0]]) == PATH_A
    assert centres(by_start[PATH_B[0]]) == PATH_B
    assert tracks[0].to_dict()['frame_ids'] == [0, 1, 2, 3]
    assert tracks[0].score == pytest.approx(0.75 * 4 * 4)  # A: scores 0.75 over 4 frames
    assert tracks[1].score == pytest.approx(0.5 * 4 * 4)


def test_matching_maximises_links_within_radius() -> None:
    # d1 at 10 px from both tracks, d2 within radius of B only: both tracks must continue
    frames = [frame((0, 0, 0.5, 0), (20, 0, 0.5, 0)), frame((10, 0, 0.5, 0), (32, 0, 0.5, 0))]
    tracks = TrajectoryLinker(radius=15).link(frames)
    assert sorted(centres(t)[-1] for t in tracks) == [(10.0, 0.0), (32.0, 0.0)]
    assert [len(t) for t in tracks] == [2, 2]


def test_pairs_beyond_radius_are_not_linked() -> None:
    frames = [frame((0, 0, 0.5, 0)), frame((10, 0, 0.5, 0))]
    assert len(TrajectoryLinker(radius=10).link(frames)) == 1  # inclusive
    assert len(TrajectoryLinker(radius=9.5).link(frames)) == 2


def test_gap_splits_or_continues() -> None:
    det = (40.0, 40.0, 0.5, 0)
    frames = [frame(det), frame(det), frame(), frame(det), frame(det)]
    split = TrajectoryLinker(max_gap=0).link(frames)
    assert [t.frame_ids.tolist() for t in split] == [[0, 1], [3, 4]]
    joined = TrajectoryLinker(max_gap=1).link(frames)
    assert [t.frame_ids.tolist() for t in joined] == [[0, 1, 3, 4]]
    assert joined[0].score == pytest.approx(0.5 * 4 * 4)
    # two missing frames exceed max_gap=1
    frames = [frame(det), frame(), frame(), frame(det)]
    assert [t.frame_ids.tolist() for t in TrajectoryLinker(max_gap=1).link(frames)] == [[0], [3]]


def test_empty_frames_in_the_middle() -> None:
    det = (40.0, 40.0, 0.5, 1)
    empty_arrays = dict(bboxes=np.zeros((0, 4)), scores=np.zeros(0), labels=np.zeros(0, dtype=np.int64))
    empty_tensors = as_instance_data(empty_arrays)
    frames = [frame(det), {}, InstanceData(), empty_arrays, empty_tensors, frame(det)]
    assert [t.frame_ids.tolist() for t in TrajectoryLinker(max_gap=4).link(frames)] == [[0, 5]]
    assert [t.frame_ids.tolist() for t in TrajectoryLinker(max_gap=3).link(frames)] == [[0], [5]]


def test_no_detections() -> None:
    linker = TrajectoryLinker()
    assert linker.link([]) == []
    assert linker.link([{}, InstanceData(), frame()]) == []
    assert linker.link([frame((10, 10, 0.001, 0))]) == []  # all below score_thr
    assert best_track([]) is None


def test_low_score_distractor_dropped() -> None:
    # at frame 1 a low-score detection sits closer to the track than the true one; kept, it would take the
    # link and push the true detection into a new track
    frames = [frame((50, 50, 0.5, 0)), frame((51, 50, 0.005, 0), (53, 50, 0.5, 0)), frame((56, 50, 0.5, 0))]
    tracks = TrajectoryLinker(score_thr=0.01).link(frames)
    assert len(tracks) == 1
    assert centres(tracks[0]) == [(50.0, 50.0), (53.0, 50.0), (56.0, 50.0)]
    assert tracks[0].score == pytest.approx(1.5 * 3)
    kept = TrajectoryLinker(score_thr=0.0).link(frames)
    assert [centres(t) for t in kept] == [[(53.0, 50.0), (56.0, 50.0)], [(50.0, 50.0), (51.0, 50.0)]]


def test_far_distractor_loses_to_persistent_track() -> None:
    persistent = (50.0, 50.0, 0.5, 0)
    frames = [frame(persistent) for _ in range(5)]
    frames[1] = frame(persistent, (200, 200, 0.875, 0))
    frames[2] = frame((200, 200, 0.75, 0), persistent)
    tracks = TrajectoryLinker().link(frames)
    assert len(tracks) == 2
    assert tracks[0].frame_ids.tolist() == [0, 1, 2, 3, 4]
    assert tracks[0].score == 12.5  # (5 x 0.5) x 5 frames
    assert tracks[1].frame_ids.tolist() == [1, 2]
    assert tracks[1].score == 3.25  # (0.875 + 0.75) x 2 frames
    assert tracks[1].centre == (200.0, 200.0)
    assert best_track(tracks) is tracks[0]
    assert best_track(tracks[::-1]) is tracks[0]


def test_class_agnostic_or_not() -> None:
    # same place, alternating labels; label 0 sums 0.9, label 1 sums 0.5 though it occurs more often
    frames = [frame((30, 30, 0.9, 0)), frame((30, 30, 0.25, 1)), frame((30, 30, 0.25, 1))]
    agnostic = TrajectoryLinker(class_agnostic=True).link(frames)
    assert len(agnostic) == 1
    assert agnostic[0].label == 0
    assert agnostic[0].score == pytest.approx(1.4 * 3)

    frames = [
        frame((30, 30, 0.5, 0)),
        frame((30, 30, 0.25, 1)),
        frame((30, 30, 0.5, 0)),
        frame((30, 30, 0.25, 1)),
    ]
    assert len(TrajectoryLinker(class_agnostic=True).link(frames)) == 1
    aware = TrajectoryLinker(class_agnostic=False, max_gap=1).link(frames)
    assert [(t.label, t.frame_ids.tolist(), t.score) for t in aware] == [(0, [0, 2], 2.0), (1, [1, 3], 1.0)]
    # consecutive frames only: every detection is its own track
    assert len(TrajectoryLinker(class_agnostic=False, max_gap=0).link(frames)) == 4


def test_one_detection_per_frame_per_track() -> None:
    # two detections at the same place in one frame: one continues the track, the other starts a new one
    frames = [frame((30, 30, 0.5, 0)), frame((30, 30, 0.5, 0), (31, 30, 0.5, 1))]
    tracks = TrajectoryLinker().link(frames)
    assert sorted(len(t) for t in tracks) == [1, 2]
    assert all(np.all(np.diff(t.frame_ids) > 0) for t in tracks)


def test_ties_broken_by_first_frame_then_creation_order() -> None:
    frames = [frame((0, 0, 0.5, 0)), frame((100, 0, 0.25, 0), (200, 0, 0.25, 0), (300, 0, 0.5, 0))]
    tracks = TrajectoryLinker().link(frames)
    # (0,0) and (300,0) score 0.5 each: the earlier start wins; (100,0) and (200,0) in detection order
    assert [centres(t)[0] for t in tracks] == [(0.0, 0.0), (300.0, 0.0), (100.0, 0.0), (200.0, 0.0)]
    assert [t.track_id for t in tracks] == [0, 3, 1, 2]


def test_tensor_instance_data_and_numpy_dicts_agree() -> None:
    numpy_frames = crossing_frames()
    numpy_frames[2] = dict(numpy_frames[2], labels=numpy_frames[2]['labels'].astype(np.int32))
    tensor_frames = [as_instance_data(f) for f in crossing_frames()]
    from_numpy = [t.to_dict() for t in TrajectoryLinker().link(numpy_frames)]
    from_tensor = [t.to_dict() for t in TrajectoryLinker().link(tensor_frames)]
    assert from_numpy == from_tensor
    assert json.loads(json.dumps(from_tensor)) == from_tensor  # JSON-serialisable


def test_score_weighted_mean_box() -> None:
    frames = [
        dict(bboxes=np.array([[0, 0, 10, 10]]), scores=np.array([0.25]), labels=np.array([2])),
        dict(bboxes=np.array([[4, 4, 14, 14]]), scores=np.array([0.75]), labels=np.array([2])),
    ]
    (track,) = TrajectoryLinker().link(frames)
    np.testing.assert_array_equal(track.bbox, [3.0, 3.0, 13.0, 13.0])
    assert track.centre == (8.0, 8.0)
    assert track.num_frames == len(track) == 2
    assert track.score == 2.0  # (0.25 + 0.75) x 2
    assert track.to_dict() == dict(
        frame_ids=[0, 1], bbox=[3.0, 3.0, 13.0, 13.0], label=2, score=2.0, scores=[0.25, 0.75], track_id=0
    )
    assert track.bboxes.dtype == np.float64 and track.labels.dtype == np.int64


def test_track_validation() -> None:
    with pytest.raises(ValueError, match='at least one'):
        Track([], np.zeros((0, 4)), [], [])
    with pytest.raises(ValueError, match='bboxes'):
        Track([0, 1], np.zeros((2, 5)), [0.5, 0.5], [0, 0])
    with pytest.raises(ValueError, match='scores'):
        Track([0, 1], np.zeros((2, 4)), [0.5], [0, 0])
    with pytest.raises(ValueError, match='increasing'):
        Track([1, 1], np.zeros((2, 4)), [0.5, 0.5], [0, 0])


@pytest.mark.parametrize(
    'kwargs, field',
    [
        (dict(radius=0), 'radius'),
        (dict(radius=-5.0), 'radius'),
        (dict(score_thr=1.5), 'score_thr'),
        (dict(score_thr=-0.1), 'score_thr'),
        (dict(max_gap=-1), 'max_gap'),
        (dict(max_gap=0.5), 'max_gap'),
    ],
)
def test_bad_arguments(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        TrajectoryLinker(**kwargs)


def test_bad_input_shapes() -> None:
    linker = TrajectoryLinker()
    good = frame((10, 10, 0.5, 0), (40, 40, 0.5, 0))
    with pytest.raises(ValueError, match=r'frame 1: scores'):
        linker.link([good, dict(good, scores=np.array([0.5, 0.5, 0.5]))])
    with pytest.raises(ValueError, match=r'frame 0: bboxes'):
        linker.link([dict(good, bboxes=np.zeros((2, 5)))])
    with pytest.raises(ValueError, match=r'frame 2: labels'):
        linker.link([good, good, dict(good, labels=np.array([0]))])
    with pytest.raises(ValueError, match=r'frame 0: missing.*labels'):
        linker.link([dict(bboxes=good['bboxes'], scores=good['scores'])])
    with pytest.raises(TypeError, match='frame 0'):
        linker.link([[1, 2, 3]])


def test_registry_build() -> None:
    linker = TASK_UTILS.build(dict(type='TrajectoryLinker', radius=10))
    assert isinstance(linker, TrajectoryLinker)
    assert (linker.radius, linker.score_thr, linker.max_gap, linker.class_agnostic) == (10.0, 0.01, 0, True)
    assert 'radius=10.0' in repr(linker)


def test_non_finite_detections_are_dropped() -> None:
    good = [10.0, 10.0, 20.0, 20.0]
    frames = [
        dict(
            bboxes=np.array([good, [np.inf, 0.0, -np.inf, 5.0]]),
            scores=np.array([0.9, 0.9]),
            labels=np.zeros(2),
        ),
        dict(bboxes=np.array([good, good]), scores=np.array([0.8, np.nan]), labels=np.zeros(2)),
    ]
    tracks = TrajectoryLinker(radius=25.0).link(frames)
    assert len(tracks) == 1 and list(tracks[0].frame_ids) == [0, 1]
    assert np.isfinite(tracks[0].bboxes).all()
