"""SequenceDetectionMetric on hand-made sequences: GT boxes and tracks with known outcomes."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from sklearn.metrics import matthews_corrcoef, roc_auc_score

import occlunet  # noqa: F401  (registers the metric)
from occlunet.evaluation import SequenceDetectionMetric
from occlunet.models.trackers import Track

# most hand-made sets hold one kind of sequence only, where the AUC is NaN with a warning
pytestmark = pytest.mark.filterwarnings('ignore:SequenceDetectionMetric. ROC AUC is undefined')

CLASSES = ('M1', 'M2')
HALF = 10.0  # half side of the hand-made boxes, DICOM pixels


def box(cx: float, cy: float, half: float = HALF) -> list[float]:
    return [cx - half, cy - half, cx + half, cy + half]


def track(cx: float, cy: float, conf: float = 0.9, label: int = 0, frames: int = 3, start: int = 0) -> Track:
    """A still track of ``frames`` detections of confidence ``conf``; score = conf * frames**2."""
    return Track(
        frame_ids=np.arange(start, start + frames),
        bboxes=np.array([box(cx, cy)] * frames),
        scores=np.full(frames, conf),
        labels=np.full(frames, label),
    )


def sample(
    gt: list[tuple[float, float, int]] = (),
    tracks: list = (),
    ori: tuple[int, int] = (512, 512),
    img: tuple[int, int] = (512, 512),
    video_id: int = 1,
    flip_direction: str | None = None,
    as_dict: bool = True,
):
    """A whole-sequence data sample as PackDSAInputs + OccluNet.predict make it.

    ``gt`` holds (cx, cy, label) in DICOM pixels; the packed boxes are resized to ``img`` (H, W) and
    flipped in that frame, as the pipeline does. ``as_dict`` gives what mmengine's Evaluator passes on.
    """
    w_scale, h_scale = img[1] / ori[1], img[0] / ori[0]
    boxes = np.array([box(cx, cy) for cx, cy, _ in gt], dtype=np.float32).reshape(-1, 4)
    boxes = boxes * np.array([w_scale, h_scale, w_scale, h_scale], dtype=np.float32)
    if flip_direction == 'horizontal':
        boxes[:, [0, 2]] = img[1] - boxes[:, [2, 0]]
    elif flip_direction == 'vertical':
        boxes[:, [1, 3]] = img[0] - boxes[:, [3, 1]]
    data_sample = DetDataSample(
        metainfo=dict(
            video_id=video_id,
            file_name=f'dicom/S{video_id:04d}_PA.dcm',
            img_path=f'/data/dicom/S{video_id:04d}_PA.dcm',
            frame_id=None,
            ori_shape=ori,
            img_shape=img,
            scale_factor=(w_scale, h_scale),
            flip=flip_direction is not None,
            flip_direction=flip_direction,
        )
    )
    instances = InstanceData()
    instances.bboxes = torch.from_numpy(boxes)
    instances.labels = torch.tensor([lab for *_, lab in gt], dtype=torch.long)
    instances.frame_start = torch.zeros(len(gt), dtype=torch.long)
    instances.frame_end = torch.full((len(gt),), 5, dtype=torch.long)
    data_sample.gt_instances = instances
    data_sample.set_field(torch.tensor([int(len(gt) > 0)]), 'gt_label')
    data_sample.set_field(list(tracks), 'pred_tracks')
    return data_sample.to_dict() if as_dict else data_sample


def evaluate(samples: list, **kwargs) -> dict:
    metric = SequenceDetectionMetric(**{'classes': CLASSES, **kwargs})
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def outcome(result: dict) -> tuple[int, int, int, int]:
    return tuple(result[f'sequence/{k}'] for k in ('tp', 'fp', 'fn', 'tn'))


# ------------------------------------------------------------------------------------------------------
# single-sequence outcomes


def test_tp():
    assert outcome(evaluate([sample([(200, 200, 0)], [track(210, 205)])])) == (1, 0, 0, 0)


def test_wrong_place_is_fn_and_fp():
    assert outcome(evaluate([sample([(200, 200, 0)], [track(300, 200)])])) == (0, 1, 1, 0)


def test_wrong_class_is_fn_fp_in_multi_class_but_tp_in_single_class():
    seq = [sample([(200, 200, 0)], [track(200, 200, label=1)])]
    assert outcome(evaluate(seq)) == (0, 1, 1, 0)
    assert outcome(evaluate(seq, single_class=True)) == (1, 0, 0, 0)


def test_no_gt_with_track_is_fp():
    assert outcome(evaluate([sample([], [track(100, 100)])])) == (0, 1, 0, 0)


def test_no_gt_no_track_is_tn():
    assert outcome(evaluate([sample([], [])])) == (0, 0, 0, 1)


def test_gt_without_track_is_fn_only():
    assert outcome(evaluate([sample([(200, 200, 0)], [])])) == (0, 0, 1, 0)


def test_distance_threshold_is_inclusive():
    assert outcome(evaluate([sample([(200, 200, 0)], [track(225, 200)])])) == (1, 0, 0, 0)
    assert outcome(evaluate([sample([(200, 200, 0)], [track(225.5, 200)])])) == (0, 1, 1, 0)


def test_ref_size_scaling():
    # 30 DICOM px: 15 reference px at 1024^2 (hit), 30 at 512^2 (miss)
    at_1024 = sample([(500, 500, 0)], [track(530, 500)], ori=(1024, 1024), img=(512, 512))
    at_512 = sample([(250, 250, 0)], [track(280, 250)], ori=(512, 512), img=(512, 512))
    assert outcome(evaluate([at_1024])) == (1, 0, 0, 0)
    assert outcome(evaluate([at_512])) == (0, 1, 1, 0)
    # the long side sets the scale: 30 px at 1024 x 512 is 15 reference px
    wide = sample([(500, 200, 0)], [track(500, 230)], ori=(512, 1024), img=(512, 512))
    assert outcome(evaluate([wide])) == (1, 0, 0, 0)
    # ref_size=1024 at a 1024^2 DICOM: 30 reference px again
    assert outcome(evaluate([at_1024], ref_size=1024)) == (0, 1, 1, 0)


def test_gt_boxes_are_mapped_back_to_dicom_pixels_with_the_flip_undone():
    for direction in ('horizontal', 'vertical'):
        seq = sample(
            [(100, 300, 0)], [track(100, 300)], ori=(1024, 768), img=(512, 512), flip_direction=direction
        )
        assert outcome(evaluate([seq])) == (1, 0, 0, 0), direction


def test_several_gt_boxes_a_hit_on_any_counts():
    gt = [(100, 100, 0), (400, 400, 1)]
    assert outcome(evaluate([sample(gt, [track(400, 405, label=1)])])) == (1, 0, 0, 0)
    # right place of box 2 but box 1's class: a miss in multi-class mode
    assert outcome(evaluate([sample(gt, [track(400, 405, label=0)])])) == (0, 1, 1, 0)


def test_tracks_below_score_thr_are_ignored():
    # a long faint track on the occlusion (score 0.005 * 100**2 = 50, confidence 0.005) and a confident
    # short one elsewhere (score 0.5 * 2**2 = 2): only the second passes score_thr
    faint = track(200, 200, conf=0.005, frames=100)
    elsewhere = track(400, 100, conf=0.5, frames=2)
    assert outcome(evaluate([sample([(200, 200, 0)], [faint, elsewhere])])) == (0, 1, 1, 0)
    assert outcome(evaluate([sample([(200, 200, 0)], [faint])])) == (0, 0, 1, 0)
    assert outcome(evaluate([sample([], [faint])])) == (0, 0, 0, 1)
    # with score_thr=0 the faint track is the best one again
    assert outcome(evaluate([sample([(200, 200, 0)], [faint, elsewhere])], score_thr=0.0)) == (1, 0, 0, 0)


def test_best_track_is_the_highest_score_even_if_not_listed_first():
    low = track(400, 100, conf=0.9, frames=1)  # score 0.9, wrong place
    high = track(200, 200, conf=0.5, frames=3)  # score 4.5, on the occlusion
    assert outcome(evaluate([sample([(200, 200, 0)], [low, high])])) == (1, 0, 0, 0)
    assert outcome(evaluate([sample([(200, 200, 0)], [high, low])])) == (1, 0, 0, 0)


def test_tracks_as_dicts_and_data_samples_as_objects():
    tracks = [track(400, 100, frames=1), track(200, 200, frames=3)]
    as_dicts = sample([(200, 200, 0)], [t.to_dict() for t in tracks])
    as_object = sample([(200, 200, 0)], tracks, as_dict=False)
    assert outcome(evaluate([as_dicts])) == outcome(evaluate([as_object])) == (1, 0, 0, 0)


# ------------------------------------------------------------------------------------------------------
# rates over a small set


def small_set() -> list[dict]:
    """Six sequences: TP (M1), wrong place (M1), GT without track (M1), track without GT, nothing, TP (M2).

    Presence: y_true = [1, 1, 1, 0, 0, 1], y_pred = [1, 1, 0, 1, 0, 1]; sequence scores (conf * frames**2)
    = [8.1, 2.0, 0, 2.4, 0, 1.2].
    """
    return [
        sample([(200, 200, 0)], [track(205, 200, conf=0.9, frames=3)], video_id=1),
        sample([(200, 200, 0)], [track(400, 400, conf=0.5, frames=2)], video_id=2),
        sample([(200, 200, 0)], [], video_id=3),
        sample([], [track(300, 300, conf=0.6, frames=2)], video_id=4),
        sample([], [], video_id=5),
        sample([(100, 300, 1)], [track(100, 300, conf=0.3, frames=2, label=1)], video_id=6),
    ]


def test_precision_recall_f1_mcc_auc_by_hand_and_sklearn():
    result = evaluate(small_set())
    assert outcome(result) == (2, 2, 2, 1)
    assert result['sequence/precision'] == pytest.approx(0.5)
    assert result['sequence/recall'] == pytest.approx(0.5)
    assert result['sequence/f1'] == pytest.approx(0.5)
    y_true, y_pred = [1, 1, 1, 0, 0, 1], [1, 1, 0, 1, 0, 1]
    scores = [8.1, 2.0, 0.0, 2.4, 0.0, 1.2]
    # MCC = (3 * 1 - 1 * 1) / sqrt(4 * 4 * 2 * 2) = 0.25
    assert result['sequence/mcc'] == pytest.approx(0.25)
    assert result['sequence/mcc'] == pytest.approx(matthews_corrcoef(y_true, y_pred))
    # AUC: of the 8 (positive, negative) pairs, 4 ranked right and one tie (0 vs 0) -> 4.5 / 8
    assert result['sequence/auc'] == pytest.approx(0.5625)
    assert result['sequence/auc'] == pytest.approx(roc_auc_score(y_true, scores))
    # per class: recall by GT class (M1: sequences 1-3; M2: sequence 6), precision by predicted class
    # (M1: sequences 1, 2, 4; M2: sequence 6)
    assert result['sequence/recall_M1'] == pytest.approx(1 / 3)
    assert result['sequence/recall_M2'] == pytest.approx(1.0)
    assert result['sequence/precision_M1'] == pytest.approx(1 / 3)
    assert result['sequence/precision_M2'] == pytest.approx(1.0)
    assert result['sequence/f1_M1'] == pytest.approx(1 / 3)
    assert result['sequence/f1_M2'] == pytest.approx(1.0)


def test_metric_values_are_plain_python_numbers():
    result = evaluate(small_set())
    for key, value in result.items():
        assert key.startswith('sequence/'), key
        assert type(value) in (int, float), (key, type(value))
    for key in ('tp', 'fp', 'fn', 'tn'):
        assert type(result[f'sequence/{key}']) is int


def test_single_class_mode_has_no_per_class_keys():
    result = evaluate(small_set(), single_class=True)
    assert not any('_' in key.split('/')[1] for key in result)


def test_undefined_rates_are_nan_and_auc_warns():
    with pytest.warns(UserWarning, match='ROC AUC is undefined'):
        result = evaluate([sample([], []), sample([], [])])
    assert outcome(result) == (0, 0, 0, 2)
    assert math.isnan(result['sequence/precision'])
    assert math.isnan(result['sequence/recall'])
    assert math.isnan(result['sequence/f1'])
    assert math.isnan(result['sequence/auc'])
    assert result['sequence/mcc'] == 0.0
    with pytest.warns(UserWarning, match='ROC AUC is undefined'):
        result = evaluate([sample([(200, 200, 0)], [])])
    assert result['sequence/recall'] == 0.0 and result['sequence/f1'] == 0.0


# ------------------------------------------------------------------------------------------------------
# PR sweep


def sweep_set() -> list[dict]:
    rng = np.random.default_rng(0)
    samples = []
    for i in range(40):
        has_gt, conf = bool(i % 2), float(rng.uniform(0.02, 0.99))
        place = (200, 200) if rng.random() < 0.7 else (450, 60)
        tracks = [] if i % 7 == 0 else [track(*place, conf=conf, frames=int(rng.integers(1, 6)))]
        samples.append(sample([(200, 200, 0)] if has_gt else [], tracks, video_id=i))
    return samples


def test_sweep_is_monotone_and_matches_the_main_result():
    samples = sweep_set()
    metric = SequenceDetectionMetric(
        classes=CLASSES, score_thr=0.1, sweep_thrs=(0.01, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9)
    )
    metric.process({}, samples)
    result = metric.evaluate(len(samples))
    thresholds = [e['score_thr'] for e in metric.sweep]
    assert thresholds == [0.1, 0.3, 0.5, 0.7, 0.9]  # below score_thr dropped
    recalls = [e['recall'] for e in metric.sweep]
    assert all(a >= b for a, b in zip(recalls, recalls[1:]))
    assert recalls[0] > recalls[-1]
    for key in ('tp', 'fp'):
        values = [e[key] for e in metric.sweep]
        assert all(a >= b for a, b in zip(values, values[1:])), key
    # the number of sequences with GT is fixed: tp + fn constant
    assert len({e['tp'] + e['fn'] for e in metric.sweep}) == 1
    main = metric.sweep[0]
    for key in ('tp', 'fp', 'fn', 'tn', 'precision', 'recall', 'f1'):
        assert main[key] == result[f'sequence/{key}'], key


def test_score_thr_is_always_in_the_sweep():
    metric = SequenceDetectionMetric(score_thr=0.33, sweep_thrs=(0.5,))
    assert metric.sweep_thrs == (0.33, 0.5)


def test_default_sweep():
    metric = SequenceDetectionMetric()
    assert metric.sweep_thrs[0] == 0.01 and metric.sweep_thrs[-1] == 0.95 and len(metric.sweep_thrs) == 20


# ------------------------------------------------------------------------------------------------------
# out_file, Evaluator, errors


def test_out_file_json(tmp_path):
    out = tmp_path / 'sub' / 'sequences.json'
    samples = small_set()[:2] + [
        sample([(500, 500, 0)], [track(530, 500, frames=2)], ori=(1024, 1024), video_id=9)
    ]
    result = evaluate(samples, out_file=str(out))
    doc = json.loads(out.read_text())
    assert doc['settings']['classes'] == list(CLASSES)
    assert doc['num_sequences'] == 3
    assert doc['metrics'] == pytest.approx({k: None if math.isnan(v) else v for k, v in result.items()})
    assert [e['score_thr'] for e in doc['sweep']][0] == 0.01
    first, second, third = doc['sequences']
    assert first['video_id'] == 1 and first['file_name'] == 'dicom/S0001_PA.dcm'
    assert first['outcome'] == 'TP' and second['outcome'] == 'FN+FP' and third['outcome'] == 'TP'
    assert first['best_track']['bbox'] == pytest.approx([195.0, 190.0, 20.0, 20.0])  # xywh
    assert first['best_track']['label_name'] == 'M1'
    assert first['best_track']['score'] == pytest.approx(8.1)
    assert first['best_track']['frame_ids'] == [0, 1, 2]
    assert first['gt'] == [dict(bbox=pytest.approx([190.0, 190.0, 20.0, 20.0]), label=0, label_name='M1')]
    assert second['distance'] == pytest.approx(math.hypot(200, 200))
    # DICOM pixels, not network-input pixels: the 1024^2 sequence's GT box is 20 px wide again
    assert third['gt'][0]['bbox'] == pytest.approx([490.0, 490.0, 20.0, 20.0])
    assert third['distance'] == pytest.approx(15.0)
    assert len(third['tracks']) == 1 and third['tracks'][0]['passed'] is True


def test_out_file_lists_all_tracks_best_first_and_nan_as_null(tmp_path):
    out = tmp_path / 'one.json'
    tracks = [track(400, 100, frames=1), track(200, 200, conf=0.005, frames=100), track(200, 200, frames=3)]
    with pytest.warns(UserWarning, match='ROC AUC'):
        evaluate([sample([(200, 200, 0)], tracks)], out_file=str(out))
    doc = json.loads(out.read_text())
    (seq,) = doc['sequences']
    assert [t['passed'] for t in seq['tracks']] == [False, True, True]
    assert [t['score'] for t in seq['tracks']] == pytest.approx([50.0, 8.1, 0.9])
    assert seq['best_track']['score'] == pytest.approx(8.1)
    assert doc['metrics']['sequence/auc'] is None


def test_evaluator_from_config_dict():
    with DefaultScope.overwrite_default_scope('mmdet'):  # as under a config's default_scope='mmdet'
        evaluator = Evaluator(dict(type='SequenceDetectionMetric', distance_thr=25.0, ref_size=512))
    assert isinstance(evaluator.metrics[0], SequenceDetectionMetric)
    evaluator.dataset_meta = dict(classes=CLASSES)
    samples = [s for s in small_set()]
    objects = [sample([(200, 200, 0)], [track(205, 200)], as_dict=False, video_id=7)]
    evaluator.process(data_samples=objects, data_batch={})
    evaluator.process(data_samples=samples, data_batch={})
    result = evaluator.evaluate(len(samples) + 1)
    assert outcome(result) == (3, 2, 2, 1)
    assert 'sequence/recall_M2' in result and 'sequence/auc' in result


def test_missing_pred_tracks_names_the_field_and_the_video():
    bad = sample([(200, 200, 0)], [], video_id=42)
    del bad['pred_tracks']
    metric = SequenceDetectionMetric()
    with pytest.raises(ValueError, match=r"video_id=42 \(dicom/S0042_PA\.dcm\) has no 'pred_tracks'"):
        metric.process({}, [bad])


def test_label_outside_the_classes_is_refused():
    with pytest.raises(ValueError, match=r'video_id=3 .*label\(s\) \[2\] outside the 2 classes'):
        evaluate([sample([(200, 200, 0)], [track(200, 200, label=2)], video_id=3)])


def test_gt_label_disagreeing_with_the_boxes_is_refused():
    bad = sample([], [], video_id=5)
    bad['gt_label'] = torch.tensor([1])
    with pytest.raises(ValueError, match='video_id=5 .*gt_label=1 disagrees'):
        SequenceDetectionMetric().process({}, [bad])


@pytest.mark.parametrize(
    'kwargs', [dict(score_thr=1.5), dict(distance_thr=0), dict(ref_size=-1), dict(sweep_thrs=(0.5, 2.0))]
)
def test_bad_options(kwargs):
    with pytest.raises(ValueError):
        SequenceDetectionMetric(**kwargs)
