"""The sequence verdict rules (occlunet.evaluation.verdict) on hand-made tracks with known answers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from occlunet.evaluation.verdict import (
    best_track,
    binary_mcc,
    is_correct_outcome,
    judge_sequence,
    label_name,
    presence_score,
    roc_auc,
    roc_from_scores,
    sequence_outcome,
    sort_tracks,
    track_order_key,
    xywh_to_xyxy,
    xyxy_to_xywh,
)
from occlunet.models.trackers import Track


def track(score: float, confidence: float, first: int = 0, track_id: int = -1, name: str = '') -> dict:
    return dict(
        score=score, confidence=confidence, frame_ids=[first, first + 1], track_id=track_id, name=name
    )


def test_order_is_score_then_first_frame_then_track_id_then_list_order():
    tracks = [
        track(1.0, 0.5, first=0, track_id=0, name='low'),
        track(2.0, 0.5, first=3, track_id=1, name='late'),
        track(2.0, 0.5, first=1, track_id=5, name='early-5'),
        track(2.0, 0.5, first=1, track_id=2, name='early-2'),
        track(2.0, 0.5, first=1, track_id=2, name='early-2-again'),
    ]
    assert [t['name'] for t in sort_tracks(tracks)] == ['early-2', 'early-2-again', 'early-5', 'late', 'low']


def test_order_matches_track_sort_key():
    tracks = [
        Track([0, 1], [[0, 0, 2, 2]] * 2, [0.5, 0.5], [0, 0], track_id=3),
        Track([2, 3], [[0, 0, 2, 2]] * 2, [0.5, 0.5], [0, 0], track_id=1),
        Track([0], [[0, 0, 2, 2]], [0.9], [0], track_id=0),
    ]
    entries = [dict(t.to_dict(), confidence=float(t.scores.mean())) for t in tracks]
    assert [track_order_key(e) for e in entries] == [t.sort_key() for t in tracks]


def test_order_of_a_track_without_frames_and_id():
    assert track_order_key(dict(score=2.0, frame_ids=[])) == (-2.0, 0, -1)


def test_best_track_is_the_first_that_passes_the_threshold():
    tracks = sort_tracks([track(9.0, 0.05, name='strong-but-unsure'), track(3.0, 0.4, name='sure')])
    assert best_track(tracks, 0.01)['name'] == 'strong-but-unsure'
    assert best_track(tracks, 0.1)['name'] == 'sure'
    assert best_track(tracks, 0.5) is None
    assert best_track([], 0.0) is None


def test_sweep_keeps_the_track_chosen_at_score_thr():
    tracks = sort_tracks([track(9.0, 0.05), track(3.0, 0.4)])
    # chosen at 0.01 (confidence 0.05), it does not pass 0.1: no track, the 0.4 one is not chosen again
    assert best_track(tracks, 0.01, sweep_thr=0.1) is None
    assert best_track(tracks, 0.01, sweep_thr=0.05)['confidence'] == 0.05


def test_presence_score_is_the_trajectory_score_or_zero():
    assert presence_score(None) == 0.0
    assert presence_score(dict(score=4)) == 4.0


def test_label_name():
    assert label_name(None, ('M1',)) is None
    assert label_name(0, ('M1',)) == 'M1'
    assert label_name(3, ('M1',)) == '3'


def test_boxes_round_trip():
    assert xyxy_to_xywh([10, 20, 40, 25]) == [10.0, 20.0, 30.0, 5.0]
    np.testing.assert_array_equal(xywh_to_xyxy([10, 20, 30, 5]), [10.0, 20.0, 40.0, 25.0])


# --------------------------------------------------------------------------------------------------
# outcome


GT = np.array([[100.0, 100.0, 120.0, 120.0]])  # centre (110, 110)


def test_outcomes_of_the_four_cases():
    hit = sequence_outcome(GT, [0], np.array([105.0, 100.0, 125.0, 120.0]), 0, 1.0, 25.0, False)
    assert hit.name == 'TP' and hit.gt_class == 0 and hit.pred_class == 0 and hit.distance == 5.0
    miss = sequence_outcome(GT, [0], np.array([300.0, 300.0, 320.0, 320.0]), 0, 1.0, 25.0, False)
    assert miss.name == 'FN+FP' and miss.distance == pytest.approx(math.hypot(200, 200))
    none = sequence_outcome(GT, [1], None, None, 1.0, 25.0, False)
    assert none.name == 'FN' and none.gt_class == 1 and none.pred_class is None
    alarm = sequence_outcome(np.zeros((0, 4)), [], GT[0], 0, 1.0, 25.0, False)
    assert alarm.name == 'FP' and alarm.gt_class is None
    quiet = sequence_outcome(np.zeros((0, 4)), [], None, None, 1.0, 25.0, False)
    assert quiet.name == 'TN'
    assert [is_correct_outcome(o.name) for o in (hit, miss, none, alarm, quiet)] == [1, 0, 0, 0, 1]


def test_wrong_class_is_a_miss_unless_single_class():
    box = np.array([105.0, 100.0, 125.0, 120.0])
    assert sequence_outcome(GT, [0], box, 1, 1.0, 25.0, single_class=False).name == 'FN+FP'
    assert sequence_outcome(GT, [0], box, 1, 1.0, 25.0, single_class=True).name == 'TP'


def test_judge_sequence_measures_in_the_reference_frame():
    best = dict(label=0)
    box = [120.0, 100.0, 140.0, 120.0]  # 20 DICOM px right of the GT centre
    # 1024 px DICOM, 512 px reference: 20 px become 10, a hit at 15; at 256 px they become 40, a miss
    assert judge_sequence(GT, [0], best, box, (1024, 800), 512, 15.0, False).distance == 10.0
    assert judge_sequence(GT, [0], best, box, (256, 256), 512, 25.0, False).name == 'FN+FP'
    assert judge_sequence(GT, [0], None, box, (256, 256), 512, 25.0, False).name == 'FN'


# --------------------------------------------------------------------------------------------------
# presence statistics


def test_mcc_known_value_and_nan_policy():
    assert binary_mcc([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(1 / math.sqrt(3))
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # the undefined case is silent
        assert binary_mcc([1, 1], [1, 1]) == 0.0
        assert binary_mcc([1, 0], [1, 1]) == 0.0
    assert math.isnan(binary_mcc([], []))


def test_auc_known_value_and_nan_policy():
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert math.isnan(roc_auc([1, 1], [0.2, 0.3]))
    with pytest.warns(UserWarning, match='Metric: ROC AUC is undefined'):
        assert math.isnan(roc_auc([0], [0.2], warn='Metric'))


def test_roc_curve_with_one_label_is_empty():
    curve = roc_from_scores([0, 0], [0.1, 0.2])
    assert len(curve.fpr) == 0 and math.isnan(curve.auc)
    curve = roc_from_scores([0, 1], [0.1, 0.2])
    assert curve.auc == 1.0 and curve.tpr[-1] == 1.0
