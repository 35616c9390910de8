"""Presence-threshold calibration (occlunet.evaluation.stats.threshold, tools/analysis/calibrate_threshold.py)
on hand-made result files with known answers."""

from __future__ import annotations

import json

import pytest

from occlunet.evaluation.stats.threshold import choose_threshold, counts_at, presence_mcc
from tests.conftest import REPO, run_tool

TOOL = REPO / 'tools' / 'analysis' / 'calibrate_threshold.py'
GT_BOX = [100.0, 100.0, 20.0, 20.0]  # centre (110, 110)
HIT = [102.0, 101.0, 20.0, 20.0]  # centre 2.2 px away
MISS = [300.0, 300.0, 20.0, 20.0]  # far away


def track(bbox: list[float], confidence: float, label: int = 0) -> dict:
    return dict(bbox=bbox, label=label, score=confidence * 5, confidence=confidence, frame_ids=[0])


def seq(i: int, gt: bool, tracks: list[dict]) -> dict:
    return dict(
        video_id=i,
        file_name=f'dicom/S{i:04d}_PA.dcm',
        ori_shape=[512, 512],
        gt_label=int(gt),
        gt=[dict(bbox=GT_BOX, label=0)] if gt else [],
        best_track=tracks[0] if tracks else None,
        tracks=tracks,
        outcome='TN',
    )


def doc(sequences: list[dict], single_class: bool = True) -> dict:
    return dict(
        settings=dict(score_thr=0.01, distance_thr=25.0, ref_size=512, single_class=single_class),
        num_sequences=len(sequences),
        metrics={},
        sweep=[],
        sequences=sequences,
    )


def example() -> dict:
    """Occluded runs hit at 0.30 and 0.20, one missed place at 0.05; open runs with alarms at 0.04 and
    0.10, one without a track. Every criterion's best threshold is 0.20: both hits kept, no alarm."""
    return doc([
        seq(0, True, [track(HIT, 0.30)]),
        seq(1, True, [track(HIT, 0.20)]),
        seq(2, True, [track(MISS, 0.05)]),
        seq(3, False, [track(MISS, 0.10)]),
        seq(4, False, [track(MISS, 0.04)]),
        seq(5, False, []),
    ])  # fmt: skip


def test_counts_at_follow_the_metric_rules():
    d = example()
    assert counts_at(d, 0.01) == dict(tp=2, fp=3, fn=1, tn=1)
    assert counts_at(d, 0.06) == dict(tp=2, fp=1, fn=1, tn=2)
    assert counts_at(d, 0.25) == dict(tp=1, fp=0, fn=2, tn=3)
    assert counts_at(d, 0.9) == dict(tp=0, fp=0, fn=3, tn=3)


def test_counts_at_takes_the_next_track_when_the_best_one_fails():
    # the best-sorted track (0.08, wrong place) passes 0.01; at 0.09 it fails and the hit stored second
    # (confidence 0.5) is the best track that passes
    d = doc([seq(0, True, [track(MISS, 0.08), track(HIT, 0.5)])])
    assert counts_at(d, 0.01) == dict(tp=0, fp=1, fn=1, tn=0)
    assert counts_at(d, 0.09) == dict(tp=1, fp=0, fn=0, tn=0)


def test_counts_at_scales_distances_to_the_reference_frame():
    # 1024-px run: the track is 30 DICOM px away = 15 reference px -> hit at ref_size 512
    far = [130.0, 100.0, 20.0, 20.0]
    s = seq(0, True, [track(far, 0.5)])
    s['ori_shape'] = [1024, 1024]
    assert counts_at(doc([s]), 0.01)['tp'] == 1
    s['ori_shape'] = [512, 512]
    assert counts_at(doc([s]), 0.01)['tp'] == 0


def test_counts_at_checks_the_class_in_multi_class_mode():
    d = doc([seq(0, True, [track(HIT, 0.5, label=1)])], single_class=False)
    assert counts_at(d, 0.01) == dict(tp=0, fp=1, fn=1, tn=0)
    d = doc([seq(0, True, [track(HIT, 0.5, label=1)])], single_class=True)
    assert counts_at(d, 0.01) == dict(tp=1, fp=0, fn=0, tn=0)


def test_choose_threshold_maximises_f1():
    choice = choose_threshold(example(), 'f1')
    # F1 = 2TP / (2TP + FP + FN): 0.01 and 0.04 -> 4/8, 0.05 -> 4/7, 0.10 -> 4/6, 0.20 -> 4/5, 0.30 -> 2/4
    assert choice.score_thr == pytest.approx(0.2)
    assert (choice.tp, choice.fp, choice.fn, choice.tn) == (2, 0, 1, 3)
    assert choice.f1 == pytest.approx(0.8) and choice.candidates == 7


def test_choose_threshold_ties_go_to_the_lowest_threshold():
    d = doc([seq(0, True, [track(HIT, 0.3)]), seq(1, False, [])])
    assert choose_threshold(d, 'f1').score_thr == pytest.approx(0.01)


def test_choose_threshold_by_accuracy_and_mcc():
    accuracy = choose_threshold(example(), 'accuracy')
    # correct runs: 0.01 -> 3, 0.05 -> 4, 0.10 -> 4, 0.20 -> 5 (both hits, no alarm) ... 0.30 -> 4
    assert accuracy.score_thr == pytest.approx(0.2)
    assert accuracy.value == pytest.approx(5 / 6)
    mcc = choose_threshold(example(), 'mcc')
    # presence ignores the place: at 0.05 alarms on runs 0, 1, 2, 3 -> TP 3, FP 1, TN 2: MCC 6 / sqrt(72);
    # at 0.20 alarms on runs 0, 1 -> TP 2, FN 1, TN 3: the same MCC, so the tie goes to 0.05
    assert presence_mcc(example(), 0.05) == pytest.approx(6 / 72**0.5)
    assert presence_mcc(example(), 0.2) == pytest.approx(6 / 72**0.5)
    assert presence_mcc(example(), 0.1) == pytest.approx(3 / 9)
    assert mcc.score_thr == pytest.approx(0.05) and mcc.value == pytest.approx(6 / 72**0.5)


def test_choose_threshold_can_reject_every_track():
    # every track is a false alarm: the best F1 (0) is reached at the lowest threshold, the best MCC
    # and accuracy above every confidence
    d = doc([seq(0, False, [track(MISS, 0.3)]), seq(1, True, [track(MISS, 0.2)])])
    choice = choose_threshold(d, 'accuracy')
    assert choice.score_thr > 0.3
    assert counts_at(d, choice.score_thr) == dict(tp=0, fp=0, fn=1, tn=1)


def test_choose_threshold_rejects_bad_input():
    with pytest.raises(ValueError, match='criterion'):
        choose_threshold(example(), 'auc')
    with pytest.raises(ValueError, match='no sequences'):
        choose_threshold(doc([]), 'f1')


def test_tool_prints_the_threshold_last_and_writes_json(tmp_path):
    path = tmp_path / 'val.json'
    path.write_text(json.dumps(example()))
    out = tmp_path / 'choice.json'
    proc = run_tool(TOOL, path, '--criterion', 'f1', '--json', out)
    assert float(proc.stdout.strip().splitlines()[-1]) == pytest.approx(0.2)
    written = json.loads(out.read_text())
    assert written['score_thr'] == pytest.approx(0.2) and written['tp'] == 2
    assert written['source'] == str(path)


def test_tool_names_the_file_of_a_bad_input(tmp_path):
    path = tmp_path / 'broken.json'
    path.write_text('{"settings": {}}')
    proc = run_tool(TOOL, path, check=False)
    assert proc.returncode == 1
    assert 'broken.json' in proc.stderr and 'missing key' in proc.stderr


def test_youden_is_the_default_and_ignores_the_share_of_occluded_runs():
    choice = choose_threshold(example())
    # J = TP / 3 occluded + TN / 3 open - 1: 0.01 -> 2/3 + 1/3 - 1 = 0, 0.05 and 0.10 -> 1/3, 0.20 -> 2/3
    assert choice.criterion == 'youden'
    assert choice.score_thr == pytest.approx(0.2) and choice.youden == pytest.approx(2 / 3)
    # 6 occluded runs (5 hits at 0.5, 1 weak hit at 0.03), 5 open runs (one alarm at 0.05)
    runs = [seq(i, True, [track(HIT, 0.5)]) for i in range(5)] + [seq(5, False, [track(MISS, 0.05)])]
    runs += [seq(6 + i, False, []) for i in range(4)] + [seq(10, True, [track(HIT, 0.03)])]
    d = doc(runs)
    # 0.01: TP 6, FP 1, TN 4 -> F1 12/13, J 1 + 4/5 - 1 = 0.8; 0.05: TP 5, FN 1, FP 1 -> F1 10/12,
    # J 0.633; 0.5: TP 5, FN 1, TN 5 -> F1 10/11, J 5/6 = 0.833: F1 keeps the alarm, J drops it
    assert choose_threshold(d, 'f1').score_thr == pytest.approx(0.01)
    assert choose_threshold(d, 'youden').score_thr == pytest.approx(0.5)
