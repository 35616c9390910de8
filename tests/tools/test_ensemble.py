"""Classifier result files, per-view ensembles and the paired PA + LAT decision
(occlunet.evaluation.stats.classification / ensemble) and tools/ensemble.py."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import matthews_corrcoef, roc_auc_score

from occlunet.evaluation.stats import (
    ClassificationResultsError,
    EnsembleError,
    binary_metrics,
    evaluate,
    load_classification_results,
    merge_results,
    pair_studies,
    roc_from_scores,
    short_names,
    validate_classification_results,
)
from tests.conftest import REPO, load_tool, run_tool

TOOL = REPO / 'tools' / 'ensemble.py'

# Hand-made test set: studies S1..S4 with PA and LAT, S5 with PA only. Video ids and ground truth:
#   S1: PA 1 (+), LAT 2 (+)   S2: PA 3 (-), LAT 4 (-)   S3: PA 5 (+), LAT 6 (-)   S4: PA 7 (-), LAT 8 (-)
#   S5: PA 9 (+)
VIDEOS = {
    1: ('S1', 'PA', 1), 2: ('S1', 'LAT', 1), 3: ('S2', 'PA', 0), 4: ('S2', 'LAT', 0), 5: ('S3', 'PA', 1),
    6: ('S3', 'LAT', 0), 7: ('S4', 'PA', 0), 8: ('S4', 'LAT', 0), 9: ('S5', 'PA', 1),
}  # fmt: skip
PA_A = {1: 0.9, 3: 0.2, 5: 0.4, 7: 0.6, 9: 0.7}
PA_B = {1: 0.7, 3: 0.4, 5: 0.8, 7: 0.9, 9: 0.5}
LAT_A = {2: 0.8, 4: 0.1, 6: 0.3, 8: 0.5}


def result_doc(
    scores: dict[int, float], threshold: float = 0.5, labels: dict[int, int] | None = None
) -> dict:
    """A classifier result document scoring the videos in ``scores``."""
    sequences = []
    for vid, score in scores.items():
        study, view, label = VIDEOS[vid]
        label = (labels or {}).get(vid, label)
        sequences.append(dict(video_id=vid, file_name=f'dicom/{study}_{view}.dcm', study_id=study, view=view,
                              label=label, score=score, pred=int(score >= threshold)))  # fmt: skip
    return dict(sequences=sequences, metrics={'classification/mcc': 0.0}, settings=dict(threshold=threshold),
                num_sequences=len(sequences))  # fmt: skip


def write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


def three_models() -> tuple[list[dict], list[str]]:
    return [result_doc(PA_A), result_doc(PA_B), result_doc(LAT_A)], ['pa_a.json', 'pa_b.json', 'lat_a.json']


# expected, derived by hand from the tables above
PA_IDS, LAT_IDS = [1, 3, 5, 7, 9], [2, 4, 6, 8]
PA_LABELS, PA_SCORES = [1, 0, 1, 0, 1], [0.8, 0.3, 0.6, 0.75, 0.6]  # mean of PA_A and PA_B
LAT_LABELS, LAT_SCORES = [1, 0, 0, 0], [0.8, 0.1, 0.3, 0.5]
# per study: the mean of every score of both views (S5: its PA ensemble); label: either view positive
PAIRED_LABELS = [1, 0, 1, 0, 1]
PAIRED_SCORES = [
    (0.9 + 0.7 + 0.8) / 3,
    (0.2 + 0.4 + 0.1) / 3,
    (0.4 + 0.8 + 0.3) / 3,
    (0.6 + 0.9 + 0.5) / 3,
    0.6,
]


def check_metrics(m, labels, scores, threshold=0.5):
    preds = [int(s >= threshold) for s in scores]
    assert m.n == len(labels) and m.num_positive == sum(labels)
    assert m.mcc == pytest.approx(matthews_corrcoef(labels, preds))
    assert m.auc == pytest.approx(roc_auc_score(labels, scores))
    tp = sum(p and y for p, y in zip(preds, labels))
    tn = sum(not p and not y for p, y in zip(preds, labels))
    assert (m.tp, m.tn) == (tp, tn)
    assert m.sensitivity == pytest.approx(tp / sum(labels))
    assert m.specificity == pytest.approx(tn / (len(labels) - sum(labels)))


# ----------------------------------------------------------------------------------------------------
def test_binary_metrics_by_hand():
    m = binary_metrics([1, 0, 1, 0, 1], PA_SCORES)
    # decisions 1 0 1 1 1: TP 3, FP 1, FN 0, TN 1; AUC: 4 of the 6 positive/negative pairs ordered right
    assert (m.tp, m.fp, m.fn, m.tn) == (3, 1, 0, 1)
    assert m.auc == pytest.approx(4 / 6)
    assert m.mcc == pytest.approx((3 * 1 - 1 * 0) / math.sqrt(4 * 3 * 1 * 2))
    assert (m.sensitivity, m.specificity) == (1.0, 0.5)


def test_binary_metrics_one_class_and_empty():
    m = binary_metrics([1, 1], [0.2, 0.9])
    assert math.isnan(m.auc) and math.isnan(m.specificity) and m.sensitivity == 0.5
    assert m.to_dict()['auc'] is None
    empty = binary_metrics([], [])
    assert empty.n == 0 and math.isnan(empty.mcc) and math.isnan(empty.auc)
    roc = roc_from_scores([0, 0], [0.1, 0.2])
    assert math.isnan(roc.auc) and len(roc.fpr) == 0


def test_merge_averages_every_model_that_scored_a_video():
    docs, names = three_models()
    merged = {s.video_id: s for s in merge_results(docs, names)}
    assert sorted(merged) == list(range(1, 10))
    assert merged[7].scores == [0.6, 0.9] and merged[7].sources == ['pa_a.json', 'pa_b.json']
    assert merged[7].score == pytest.approx(0.75)
    assert merged[6].scores == [0.3] and merged[6].sources == ['lat_a.json']
    assert [merged[v].score for v in PA_IDS] == pytest.approx(PA_SCORES)


def test_pairing_by_study():
    docs, names = three_models()
    studies = pair_studies(merge_results(docs, names))
    assert [s.key for s in studies] == ['S1', 'S2', 'S3', 'S4', 'S5']
    assert [s.label for s in studies] == PAIRED_LABELS  # S3: PA positive, LAT negative -> positive
    assert [s.score for s in studies] == pytest.approx(PAIRED_SCORES)
    assert [s.complete for s in studies] == [True] * 4 + [False]
    assert studies[0].views == ['PA', 'LAT'] and studies[0].video_ids == [1, 2]
    # S3: the mean over all three models (0.5), not the mean of the two view ensembles (0.45)
    assert studies[2].score == pytest.approx(0.5)


def test_evaluate_ensemble_against_sklearn():
    docs, names = three_models()
    ev = evaluate(docs, names, threshold=0.5)
    assert list(ev.views) == ['PA', 'LAT']
    check_metrics(ev.views['PA'], PA_LABELS, PA_SCORES)
    check_metrics(ev.views['LAT'], LAT_LABELS, LAT_SCORES)
    check_metrics(ev.paired, PAIRED_LABELS, PAIRED_SCORES)
    assert [s.key for s in ev.single_view_studies] == ['S5']
    d = ev.to_dict()
    assert d['num_studies'] == 5 and d['num_single_view_studies'] == 1 and d['single_view_studies'] == ['S5']
    # another threshold changes the decisions, not the AUC
    ev7 = evaluate(docs, names, threshold=0.7)
    check_metrics(ev7.paired, PAIRED_LABELS, PAIRED_SCORES, threshold=0.7)
    assert ev7.paired.auc == ev.paired.auc


def test_model_of_one_view_has_no_paired_decision_but_one_of_both_views_has():
    pa = evaluate([result_doc(PA_A)], ['pa_a.json'])
    assert list(pa.views) == ['PA'] and pa.paired is None
    check_metrics(pa.views['PA'], PA_LABELS, [PA_A[v] for v in PA_IDS])
    both = evaluate([result_doc({**PA_A, **LAT_A})], ['both.json'])
    scores = [(PA_A[1] + LAT_A[2]) / 2, (PA_A[3] + LAT_A[4]) / 2, (PA_A[5] + LAT_A[6]) / 2,
              (PA_A[7] + LAT_A[8]) / 2, PA_A[9]]  # fmt: skip
    check_metrics(both.paired, PAIRED_LABELS, scores)


def test_label_disagreement_names_files_and_video():
    docs, names = three_models()
    docs.append(result_doc({2: 0.4, 4: 0.3}, labels={2: 0}))
    with pytest.raises(
        EnsembleError,
        match=r'lat_a\.json and lat_b\.json disagree on video id=2 \(dicom/S1_LAT\.dcm\): label 1 vs 0',
    ):
        evaluate(docs, [*names, 'lat_b.json'])


def test_study_disagreement_is_an_error_too():
    other = result_doc({9: 0.5})
    other['sequences'][0]['study_id'] = 'S9'
    with pytest.raises(EnsembleError, match="video id=9 .*study_id 'S5' vs 'S9'"):
        merge_results([result_doc(PA_A), other], ['a.json', 'b.json'])


def test_require_pairs():
    docs, names = three_models()
    with pytest.raises(EnsembleError, match=r'1 of 5 studies lack a PA or LAT sequence \(e\.g\. study S5'):
        evaluate(docs, names, require_pairs=True)
    evaluate(docs[:1] + docs[2:], names[:1] + names[2:], require_pairs=False)


def test_video_without_study_is_a_study_of_its_own():
    doc = result_doc({1: 0.9, 2: 0.7})
    doc['sequences'][1]['study_id'] = None
    studies = pair_studies(merge_results([doc], ['x']))
    assert [s.key for s in studies] == ['S1', '<video id=2>'] and not any(s.complete for s in studies)


def test_null_view_is_unknown():
    doc = result_doc({1: 0.9, 3: 0.2})
    doc['sequences'][1]['view'] = None
    ev = evaluate([validate_classification_results(doc)], ['x.json'])
    assert list(ev.views) == ['PA', 'UNKNOWN'] and ev.paired is None


def test_files_written_by_the_classification_metric(tmp_path):
    """The contract: what BinaryClassificationMetric writes with tools/test.py --out is what this reads."""
    from occlunet.evaluation.metrics.binary_classification_metric import BinaryClassificationMetric

    paths = []
    for name, scores in (('pa', PA_A), ('lat', LAT_A)):
        # what BinaryClassificationMetric.process keeps per sequence
        records = [
            dict(video_id=vid, file_name=f'dicom/{study}_{view}.dcm', study_id=study, view=view, label=label,
                 score=score)
            for vid, score in scores.items()
            for study, view, label in [VIDEOS[vid]]
        ]  # fmt: skip
        out = tmp_path / f'{name}.json'
        metric = BinaryClassificationMetric(threshold=0.5, out_file=str(out))
        metrics = metric.compute_metrics(records)
        paths.append(out)
        doc = load_classification_results(out)
        ev = evaluate([doc], [str(out)])
        view = VIDEOS[next(iter(scores))][1]
        assert ev.views[view].mcc == pytest.approx(metrics['mcc'])
        assert ev.views[view].auc == pytest.approx(metrics['auc'])
    ev = evaluate([load_classification_results(p) for p in paths], list(map(str, paths)))
    scores = [(PA_A[1] + LAT_A[2]) / 2, (PA_A[3] + LAT_A[4]) / 2, (PA_A[5] + LAT_A[6]) / 2,
              (PA_A[7] + LAT_A[8]) / 2, PA_A[9]]  # fmt: skip
    check_metrics(ev.paired, PAIRED_LABELS, scores)


def test_validate_result_files(tmp_path):
    good = result_doc(PA_A)
    assert validate_classification_results(good) is good
    cases = [
        ({'metrics': {}}, "missing 'sequences' list"),
        ({**good, 'num_sequences': 7}, 'num_sequences=7 but 5 entries'),
        ({'sequences': [{'video_id': 1}]}, r'sequences\[0\] lacks key\(s\)'),
        (
            {'sequences': [{**good['sequences'][0], 'score': 1.5}]},
            r"video_id=1.*'score' must be a probability",
        ),
        ({'sequences': [{**good['sequences'][0], 'label': 2}]}, "'label' must be 0 or 1"),
        ({'sequences': good['sequences'][:1] * 2}, 'appears twice'),
    ]
    for doc, message in cases:
        with pytest.raises(ClassificationResultsError, match=message):
            validate_classification_results(doc, 'r.json')
    bad = tmp_path / 'bad.json'
    bad.write_text('{')
    with pytest.raises(ClassificationResultsError, match=f'{bad}: not a JSON file'):
        load_classification_results(bad)


def test_short_names():
    assert short_names(['a/pa.json', 'b/lat.json']) == ['pa', 'lat']
    assert short_names(['w/x/fold0/results.json', 'w/x/fold1/results.json']) == [
        'fold0/results',
        'fold1/results',
    ]
    assert short_names(['r.json', 'r.json']) == ['r.json', 'r.json']


# ----------------------------------------------------------------------------------------------------
def write_three(tmp_path: Path) -> list[Path]:
    docs, names = three_models()
    return [write(tmp_path / name, doc) for doc, name in zip(docs, names)]


def test_cli_table_json_and_png(tmp_path, capsys):
    paths = write_three(tmp_path)
    out_dir = tmp_path / 'ens'
    assert load_tool(TOOL).main([*map(str, paths), '--out-dir', str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert 'PA: 2 model(s) (pa_a, pa_b); LAT: 1 model(s) (lat_a)' in out
    assert 'warning: 1 of 5 studies have no PA+LAT pair (e.g. S5 (PA))' in out
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in out.splitlines()}
    assert rows[('pa_a', 'PA+LAT')][:1] == ['-'] and 'n/a' in rows[('pa_a', 'PA+LAT')]
    paired_row = next(
        line.split() for line in out.splitlines() if line.startswith('ensemble') and 'PA+LAT' in line
    )
    expected = binary_metrics(PAIRED_LABELS, PAIRED_SCORES)
    assert paired_row[3:] == ['5', '3', '2', f'{expected.mcc:.3f}', f'{expected.auc:.3f}',
                              f'{expected.sensitivity:.3f}', f'{expected.specificity:.3f}']  # fmt: skip

    doc = json.loads((out_dir / 'ensemble.json').read_text())
    assert validate_classification_results(doc) is doc  # a classifier result file itself
    assert doc['metrics']['PA+LAT/mcc'] == pytest.approx(expected.mcc)
    assert doc['metrics']['PA/auc'] == pytest.approx(roc_auc_score(PA_LABELS, PA_SCORES))
    assert doc['ensemble']['single_view_studies'] == ['S5']
    by_id = {s['video_id']: s for s in doc['sequences']}
    assert by_id[7]['score'] == pytest.approx(0.75) and by_id[7]['models'] == ['pa_a', 'pa_b']
    assert by_id[7]['pred'] == 1 and by_id[3]['pred'] == 0
    assert [s['score'] for s in doc['studies']] == pytest.approx(PAIRED_SCORES)
    assert [i['name'] for i in doc['inputs']] == ['pa_a', 'pa_b', 'lat_a']
    assert doc['inputs'][0]['paired'] is None
    assert doc['inputs'][2]['views']['LAT']['auc'] == pytest.approx(roc_auc_score(LAT_LABELS, LAT_SCORES))

    with Image.open(out_dir / 'roc.png') as image:
        assert image.format == 'PNG'
        image.load()  # decodes the pixels
        width, height = image.size
    assert width > 2 * height  # three panels: PA, LAT, PA+LAT
    assert np.asarray(image).std() > 0


def test_cli_errors(tmp_path, capsys):
    paths = write_three(tmp_path)
    tool = load_tool(TOOL)
    assert tool.main([*map(str, paths), '--require-pairs']) == 1
    assert 'study S5' in capsys.readouterr().err
    bad = write(tmp_path / 'lat_b.json', result_doc({2: 0.4}, labels={2: 0}))
    assert tool.main([*map(str, paths), str(bad), '--json', str(tmp_path / 'x.json')]) == 1
    err = capsys.readouterr().err
    assert f'{paths[2]} and {bad} disagree on video id=2' in err
    assert not (tmp_path / 'x.json').exists()
    assert tool.main([str(paths[0]), '--names', 'a', 'b']) == 2


def test_cli_notes_a_different_threshold_and_undefined_auc(tmp_path, capsys):
    path = write(tmp_path / 'pos.json', result_doc({1: 0.9, 5: 0.3}, threshold=0.3))
    assert load_tool(TOOL).main([str(path), '--plot', str(tmp_path / 'roc.png')]) == 0
    out = capsys.readouterr().out
    assert 'note: pos was thresholded at 0.3 by its metric; every number here uses 0.5' in out
    assert 'note: AUC nan: only one class present' in out
    with Image.open(tmp_path / 'roc.png') as image:
        image.verify()


@pytest.mark.slow
def test_cli_subprocess(tmp_path):
    paths = write_three(tmp_path)
    png, out = tmp_path / 'r.png', tmp_path / 'e.json'
    proc = run_tool(TOOL, *paths, '--threshold', '0.6', '--plot', png, '--json', out, timeout=300)
    assert 'ensemble (3)' in proc.stdout and f'wrote {png}' in proc.stdout
    doc = json.loads(out.read_text())
    assert doc['settings']['threshold'] == 0.6
    expected = binary_metrics(PAIRED_LABELS, PAIRED_SCORES, threshold=0.6)
    assert doc['metrics']['PA+LAT/mcc'] == pytest.approx(expected.mcc)
    with Image.open(png) as image:
        image.verify()
