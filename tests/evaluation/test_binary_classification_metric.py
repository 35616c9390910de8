"""BinaryClassificationMetric: hand-made scores against sklearn, the out_file contract, edge cases."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.registry import METRICS
from mmdet.structures import DetDataSample
from mmengine.evaluator import Evaluator
from sklearn.metrics import confusion_matrix, log_loss, matthews_corrcoef, roc_auc_score

from occlunet.evaluation import BinaryClassificationMetric

LABELS = [1, 1, 1, 1, 0, 0, 0, 1, 0, 1]
SCORES = [0.9, 0.8, 0.45, 0.6, 0.3, 0.55, 0.1, 0.5, 0.49, 0.2]
SEQUENCE_KEYS = ['video_id', 'file_name', 'study_id', 'view', 'label', 'score', 'pred']


def samples(labels=LABELS, scores=SCORES) -> list[DetDataSample]:
    out = []
    for i, (label, score) in enumerate(zip(labels, scores)):
        meta = dict(video_id=i, file_name=f'dicom/S{i // 2:04d}_{"PA" if i % 2 == 0 else "LAT"}.dcm')
        meta |= dict(study_id=f'S{i // 2:04d}', view='PA' if i % 2 == 0 else 'LAT', num_frames=9)
        sample = DetDataSample(metainfo=meta)
        sample.set_field(torch.tensor([label]), 'gt_label')
        sample.set_field(torch.tensor([score], dtype=torch.float32), 'pred_score')
        sample.set_field(torch.tensor([int(score >= 0.5)]), 'pred_label')
        out.append(sample)
    return out


def evaluate(metric_cfg: dict, data_samples: list[DetDataSample]) -> dict:
    """Through mmengine's Evaluator, as in a Runner (data samples become dicts, keys get the prefix)."""
    evaluator = Evaluator(METRICS.build(dict(type='BinaryClassificationMetric', **metric_cfg)))
    evaluator.process(data_samples)
    return evaluator.evaluate(len(data_samples))


@pytest.mark.parametrize('threshold', [0.5, 0.3])
def test_metrics_equal_sklearn(threshold: float) -> None:
    metrics = evaluate(dict(threshold=threshold), samples())
    y = np.array(LABELS)
    s = np.array(SCORES, dtype=np.float32).astype(np.float64)
    pred = (s >= threshold).astype(int)  # 0.5 itself counts as positive
    tn, fp, fn, tp = confusion_matrix(y, pred).ravel()
    expected = {
        'mcc': matthews_corrcoef(y, pred),
        'auc': roc_auc_score(y, s),
        'sensitivity': tp / (tp + fn),
        'specificity': tn / (tn + fp),
        'accuracy': (tp + tn) / len(y),
        'bce': log_loss(y, s),
        'tp': tp,
        'fp': fp,
        'fn': fn,
        'tn': tn,
    }
    assert set(metrics) == {f'classification/{k}' for k in expected}
    for key, value in expected.items():
        assert metrics[f'classification/{key}'] == pytest.approx(value, abs=1e-9), key
    if threshold == 0.5:  # by hand: TP 4 (0.9 0.8 0.6 0.5), FN 2 (0.45 0.2), FP 1 (0.55), TN 3
        assert (tp, fn, fp, tn) == (4, 2, 1, 3)


def test_out_file_contract(tmp_path: Path) -> None:
    """The JSON read by tools/ensemble.py: these key names exactly."""
    out = tmp_path / 'sub' / 'results.json'
    metrics = evaluate(dict(out_file=str(out)), samples())
    document = json.loads(out.read_text())
    assert sorted(document) == ['metrics', 'num_sequences', 'sequences', 'settings']
    assert document['settings'] == {'threshold': 0.5}
    assert document['num_sequences'] == len(LABELS) == len(document['sequences'])
    assert document['metrics'] == pytest.approx(metrics)
    first = document['sequences'][0]
    assert list(first) == SEQUENCE_KEYS
    assert first == dict(
        video_id=0, file_name='dicom/S0000_PA.dcm', study_id='S0000', view='PA', label=1,
        score=pytest.approx(0.9), pred=1,
    )  # fmt: skip
    assert [s['pred'] for s in document['sequences']] == [int(s >= 0.5) for s in SCORES]
    assert [s['label'] for s in document['sequences']] == LABELS


def test_one_class_gives_nan_auc_with_a_warning_and_null_in_json(tmp_path: Path) -> None:
    out = tmp_path / 'results.json'
    with pytest.warns(UserWarning, match='ROC AUC is undefined'):
        metrics = evaluate(dict(out_file=str(out)), samples([1, 1, 1], [0.9, 0.2, 0.7]))
    assert math.isnan(metrics['classification/auc'])
    assert math.isnan(metrics['classification/specificity'])  # no negatives
    assert metrics['classification/mcc'] == 0.0  # undefined -> 0, as sklearn
    assert metrics['classification/sensitivity'] == pytest.approx(2 / 3)
    document = json.loads(out.read_text())  # strict JSON: NaN written as null
    assert document['metrics']['classification/auc'] is None


def test_plain_metric_process_and_prefix() -> None:
    metric = BinaryClassificationMetric(prefix='pa')
    metric.dataset_meta = {}
    metric.process({}, samples())  # DetDataSample objects, not the Evaluator's dicts
    assert metric.evaluate(len(LABELS))['pa/tp'] == 4


def test_bad_arguments_and_samples_raise() -> None:
    with pytest.raises(ValueError, match='threshold'):
        BinaryClassificationMetric(threshold=2.0)
    bad = DetDataSample(metainfo=dict(video_id=3))
    bad.set_field(torch.tensor([1]), 'gt_label')
    with pytest.raises(ValueError, match="video_id=3.*'pred_score'"):
        BinaryClassificationMetric().process({}, [bad])
