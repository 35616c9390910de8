"""PR / ROC arrays (occlunet.evaluation.stats.curves) and tools/analysis/plot_curves.py."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from occlunet.evaluation import SequenceDetectionMetric
from occlunet.evaluation.stats import load_results, pr_curve, presence_labels, roc_curve, sequence_scores
from tests.conftest import REPO, load_tool, run_tool

TOOL = REPO / 'tools' / 'analysis' / 'plot_curves.py'


def sequence(
    video_id: int, has_gt: bool | None, score: float | None, outcome: str, gt_boxes: int = -1
) -> dict:
    """``has_gt`` None: ``gt_label`` null, presence from the ``gt`` list (``gt_boxes`` boxes)."""
    n_boxes = gt_boxes if gt_boxes >= 0 else int(bool(has_gt))
    best = None if score is None else dict(bbox=[0, 0, 8, 8], label=0, score=score, confidence=0.4)
    return dict(
        video_id=video_id,
        file_name=f'dicom/S{video_id:04d}_LAT.dcm',
        img_path=None,
        gt_label=None if has_gt is None else int(has_gt),
        gt=[dict(bbox=[0, 0, 8, 8], label=0, label_name='occlusion')] * n_boxes,
        best_track=best,
        tracks=[] if best is None else [best],
        outcome=outcome,
    )


def sweep_row(thr: float, precision: float | None, recall: float | None) -> dict:
    return dict(score_thr=thr, tp=0, fp=0, fn=0, tn=0, precision=precision, recall=recall, f1=None)


def results_doc(sequences: list[dict], sweep: list[dict]) -> dict:
    return dict(
        settings=dict(score_thr=0.01),
        num_sequences=len(sequences),
        metrics={},
        sweep=sweep,
        sequences=sequences,
    )


def small_doc() -> dict:
    """GT present in sequences 0 and 1 (1 via its gt list), absent in 2 and 3; scores 3, none, 2, none."""
    sequences = [
        sequence(0, True, 3.0, 'TP'),
        sequence(1, None, None, 'FN', gt_boxes=2),
        sequence(2, False, 2.0, 'FP'),
        sequence(3, False, None, 'TN'),
    ]
    sweep = [sweep_row(0.5, 1.0, 0.25), sweep_row(0.01, 0.5, 0.5), sweep_row(0.9, None, 0.0)]  # unsorted
    return results_doc(sequences, sweep)


def write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


# ----------------------------------------------------------------------------------------------------
def test_pr_curve_sorted_by_threshold_without_undefined_points():
    recall, precision, thresholds = pr_curve(small_doc())
    np.testing.assert_array_equal(thresholds, [0.01, 0.5])  # 0.9: precision null, skipped
    np.testing.assert_array_equal(recall, [0.5, 0.25])
    np.testing.assert_array_equal(precision, [0.5, 1.0])


def test_pr_curve_skips_nan_too():
    doc = results_doc(
        [], [sweep_row(0.1, math.nan, 0.5), sweep_row(0.2, 0.5, None), sweep_row(0.3, 1.0, 1.0)]
    )
    assert pr_curve(doc).thresholds.tolist() == [0.3]


def test_presence_and_scores():
    doc = small_doc()
    assert presence_labels(doc).tolist() == [1, 1, 0, 0]
    assert sequence_scores(doc).tolist() == [3.0, 0.0, 2.0, 0.0]


def test_roc_curve_by_hand():
    fpr, tpr, thresholds, auc = roc_curve(small_doc())
    # thresholds: above all, 3 (seq 0), 2 (seq 2), 0 (seqs 1 and 3)
    np.testing.assert_allclose(fpr, [0.0, 0.0, 0.5, 1.0])
    np.testing.assert_allclose(tpr, [0.0, 0.5, 0.5, 1.0])
    np.testing.assert_allclose(thresholds[1:], [3.0, 2.0, 0.0])
    # positive/negative pairs (3, 2), (3, 0), (0, 2), (0, 0): 1 + 1 + 0 + 0.5 of 4
    assert auc == pytest.approx(2.5 / 4)


def test_roc_curve_undefined_with_one_kind_of_sequence():
    doc = results_doc([sequence(0, True, 1.0, 'TP'), sequence(1, True, None, 'FN')], [])
    curve = roc_curve(doc)
    assert math.isnan(curve.auc) and len(curve.fpr) == len(curve.tpr) == 0


def test_curves_of_a_file_written_by_the_metric(tmp_path):
    """The AUC and the PR points agree with what SequenceDetectionMetric reports in its own file."""

    def record(video_id: int, gt: list, tracks: list) -> dict:
        return dict(
            video_id=video_id, file_name=f'v{video_id}.dcm', img_path=f'/d/v{video_id}.dcm',
            ori_shape=[512, 512], gt_bboxes=gt, gt_labels=[0] * len(gt), gt_label=int(bool(gt)),
            tracks=tracks,
        )  # fmt: skip

    def track(cx: float, score: float, confidence: float) -> dict:
        return dict(
            frame_ids=[0, 1], bbox=[cx - 5, 95, cx + 5, 105], label=0, score=score, confidence=confidence,
            track_id=0,
        )  # fmt: skip

    gt = [[95.0, 95.0, 105.0, 105.0]]
    records = [
        record(0, gt, [track(100, 4.0, 0.8)]),  # TP
        record(1, gt, [track(300, 1.0, 0.3)]),  # FN+FP (far away)
        record(2, gt, []),  # FN
        record(3, [], [track(100, 2.0, 0.6)]),  # FP
        record(4, [], []),  # TN
        record(5, [], [track(100, 0.5, 0.2)]),  # FP
    ]
    out = tmp_path / 'results.json'
    metric = SequenceDetectionMetric(single_class=True, classes=('occlusion',), out_file=str(out))
    metrics = metric.compute_metrics(records)
    doc = load_results(out)
    assert [s['outcome'] for s in doc['sequences']] == ['TP', 'FN+FP', 'FN', 'FP', 'TN', 'FP']
    assert roc_curve(doc).auc == pytest.approx(metrics['auc'])
    recall, precision, thresholds = pr_curve(doc)
    rows = [r for r in metric.sweep if r['tp'] + r['fp'] > 0]
    np.testing.assert_allclose(thresholds, [r['score_thr'] for r in rows])
    np.testing.assert_allclose(recall, [r['recall'] for r in rows])
    np.testing.assert_allclose(precision, [r['precision'] for r in rows])
    assert len(rows) < len(metric.sweep)  # above 0.8 no track remains: precision undefined, skipped


# ----------------------------------------------------------------------------------------------------
def other_doc() -> dict:
    sequences = [
        sequence(0, True, 1.0, 'TP'),
        sequence(1, None, 0.5, 'TP', gt_boxes=1),
        sequence(2, False, None, 'TN'),
        sequence(3, False, 2.0, 'FP'),
    ]
    return results_doc(sequences, [sweep_row(0.01, 2 / 3, 1.0), sweep_row(0.5, 1.0, 0.5)])


@pytest.mark.slow
def test_cli_writes_a_png(tmp_path):
    path_a, path_b = write(tmp_path / 'a.json', small_doc()), write(tmp_path / 'b.json', other_doc())
    out = tmp_path / 'figs' / 'curves.png'
    proc = run_tool(TOOL, path_a, path_b, '--names', 'OccluNet1', 'YOLOX', '--out', out, timeout=300)
    assert f'wrote {out}' in proc.stdout
    assert out.stat().st_size > 0
    with Image.open(out) as image:
        assert image.format == 'PNG'
        width, height = image.size
        image.load()  # decodes the pixels
    assert width > height > 0  # two panels side by side
    assert np.asarray(image).std() > 0  # not a blank image


def test_plot_with_an_undefined_roc(tmp_path):
    doc = results_doc([sequence(0, True, 1.0, 'TP')], [sweep_row(0.01, 1.0, 1.0)])
    out = tmp_path / 'one.png'
    load_tool(TOOL).plot([doc, small_doc()], ['only positives', 'small'], out)
    with Image.open(out) as image:
        image.verify()


def test_cli_rejects_wrong_number_of_names(tmp_path, capsys):
    path_a = write(tmp_path / 'a.json', small_doc())
    assert load_tool(TOOL).main([str(path_a), '--names', 'x', 'y', '--out', str(tmp_path / 'c.png')]) == 2
    assert '2 --names for 1 files' in capsys.readouterr().err
    assert not (tmp_path / 'c.png').exists()


def test_cli_rejects_a_file_that_is_not_a_result(tmp_path, capsys):
    bad = write(tmp_path / 'bad.json', dict(sweep=[]))
    assert load_tool(TOOL).main([str(bad), '--out', str(tmp_path / 'c.png')]) == 1
    assert f'{bad}: not a SequenceDetectionMetric' in capsys.readouterr().err
