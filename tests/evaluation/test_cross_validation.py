"""Cross-validation summaries (occlunet.evaluation.stats.cross_validation), tools/analysis/cv_summary.py
and tools/cross_validate.sh (with a stand-in interpreter for train.py / test.py)."""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import matthews_corrcoef, roc_auc_score

from occlunet.evaluation.stats import fold_metrics, mean_sd, summarize_folds
from tests.conftest import REPO, load_tool

CV_SUMMARY = REPO / 'tools' / 'analysis' / 'cv_summary.py'
CROSS_VALIDATE = REPO / 'tools' / 'cross_validate.sh'


def fold_doc(seed: int, n_studies: int = 6, threshold: float = 0.5) -> dict:
    """A classifier result file: ``n_studies`` studies with PA and LAT, random labels and scores."""
    rng = np.random.default_rng(seed)
    sequences = []
    for i in range(n_studies):
        for view in ('PA', 'LAT'):
            vid = len(sequences) + 1
            label = int(i % 2 == 0)  # both classes in every fold
            score = float(np.clip(0.35 * label + rng.uniform(0.0, 0.65), 0.0, 1.0))
            pred = int(score >= threshold)
            sequences.append(dict(video_id=vid, file_name=f'dicom/S{i}_{view}.dcm', study_id=f'S{i}',
                                  view=view, label=label, score=score, pred=pred))  # fmt: skip
    # a prefixed metric key with a wrong value: the summary must not read it
    metrics = {'val/classification/mcc': -9.0}
    return dict(sequences=sequences, metrics=metrics, settings=dict(threshold=threshold),
                num_sequences=len(sequences))  # fmt: skip


def sklearn_mcc_auc(doc: dict, threshold: float) -> tuple[float, float]:
    labels = [s['label'] for s in doc['sequences']]
    scores = [s['score'] for s in doc['sequences']]
    return matthews_corrcoef(labels, [int(s >= threshold) for s in scores]), roc_auc_score(labels, scores)


# ----------------------------------------------------------------------------------------------------
def test_mean_sd_by_hand():
    m = mean_sd([0.5, 0.7, math.nan])
    assert (
        m.mean == pytest.approx(0.6) and m.sd == pytest.approx(math.sqrt(0.02)) and (m.n, m.total) == (2, 3)
    )
    assert m.format() == '0.600 ± 0.141 (2 of 3 folds)'
    assert mean_sd([0.2, 0.4, 0.9]).format() == f'0.500 ± {statistics.stdev([0.2, 0.4, 0.9]):.3f}'
    one = mean_sd([0.5])
    assert math.isnan(one.sd) and one.format() == '0.500 ± -' and one.to_dict()['sd'] is None
    assert mean_sd([math.nan]).format() == 'undefined'


def test_fold_metrics_and_summary_against_sklearn():
    docs = [fold_doc(seed) for seed in range(3)]
    per_fold = [fold_metrics(doc, 0.5) for doc in docs]
    assert list(per_fold[0]) == ['sequences', 'PA', 'LAT', 'PA+LAT']
    expected = [sklearn_mcc_auc(doc, 0.5) for doc in docs]
    for metrics, (mcc, auc) in zip(per_fold, expected):
        assert metrics['sequences'].mcc == pytest.approx(mcc) and metrics['sequences'].auc == pytest.approx(
            auc
        )
        assert metrics['PA'].n == 6 and metrics['PA+LAT'].n == 6
    summary = summarize_folds(per_fold)
    mccs, aucs = zip(*expected)
    assert summary['sequences']['mcc'].mean == pytest.approx(np.mean(mccs))
    assert summary['sequences']['mcc'].sd == pytest.approx(np.std(mccs, ddof=1))
    assert summary['sequences']['auc'].mean == pytest.approx(np.mean(aucs))
    assert summary['sequences']['auc'].sd == pytest.approx(np.std(aucs, ddof=1))


def test_summary_of_a_fold_without_a_group_or_one_class():
    pa_only = fold_doc(0)
    pa_only['sequences'] = [s for s in pa_only['sequences'] if s['view'] == 'PA']
    pa_only['num_sequences'] = len(pa_only['sequences'])
    positives = fold_doc(1)
    positives['sequences'] = [s for s in positives['sequences'] if s['label'] == 1]
    positives['num_sequences'] = len(positives['sequences'])
    per_fold = [fold_metrics(d, 0.5) for d in (fold_doc(2), pa_only, positives)]
    assert 'PA+LAT' not in per_fold[1]
    summary = summarize_folds(per_fold)
    assert (summary['PA+LAT']['mcc'].n, summary['PA+LAT']['mcc'].total) == (2, 3)
    assert summary['sequences']['auc'].n == 2  # one class only in the third fold


def write_folds(root: Path, n: int = 3, threshold: float = 0.5) -> list[Path]:
    paths = []
    for k in range(n):
        path = root / f'fold{k}' / 'results.json'
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(fold_doc(k, threshold=threshold)))
        paths.append(path)
    return paths


def test_cli_prints_mean_and_sd(tmp_path, capsys):
    paths = write_folds(tmp_path)
    out_json = tmp_path / 'cv.json'
    assert load_tool(CV_SUMMARY).main([*map(str, paths), '--json', str(out_json)]) == 0
    out = capsys.readouterr().out
    mccs, aucs = zip(*(sklearn_mcc_auc(json.loads(p.read_text()), 0.5) for p in paths))
    line = next(line for line in out.splitlines() if line.strip().startswith('sequences') and 'MCC' in line)
    assert f'MCC {np.mean(mccs):.3f} ± {np.std(mccs, ddof=1):.3f}' in line
    assert f'AUC {np.mean(aucs):.3f} ± {np.std(aucs, ddof=1):.3f}' in line
    assert 'fold0/results  sequences' in out and 'PA+LAT' in out
    doc = json.loads(out_json.read_text())
    assert doc['summary']['sequences']['auc']['mean'] == pytest.approx(np.mean(aucs))
    assert [f['metrics']['sequences']['mcc'] for f in doc['folds']] == pytest.approx(list(mccs))
    assert doc['thresholds'] == [0.5] * 3


def test_cli_threshold_from_the_file_or_the_option(tmp_path, capsys):
    paths = write_folds(tmp_path, n=2, threshold=0.7)
    tool = load_tool(CV_SUMMARY)
    assert tool.main([*map(str, paths), '--json', str(tmp_path / 'a.json')]) == 0
    mccs = [sklearn_mcc_auc(json.loads(p.read_text()), 0.7)[0] for p in paths]
    doc = json.loads((tmp_path / 'a.json').read_text())
    assert doc['thresholds'] == [0.7, 0.7]
    assert doc['summary']['sequences']['mcc']['mean'] == pytest.approx(np.mean(mccs))
    assert tool.main([*map(str, paths), '--threshold', '0.5', '--json', str(tmp_path / 'b.json')]) == 0
    assert json.loads((tmp_path / 'b.json').read_text())['thresholds'] == [0.5, 0.5]
    capsys.readouterr()
    bad = tmp_path / 'bad.json'
    bad.write_text('{"sequences": 3}')
    assert tool.main([str(bad)]) == 1
    assert f'{bad}: not a sequence classifier result file' in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------------
# tools/cross_validate.sh with a stand-in for the interpreter: train.py "trains" by writing a checkpoint
# (fold 1: only last_checkpoint) and dumping the config, test.py copies a prepared result file; every
# other script runs for real.
FAKE_PYTHON = r"""#!/usr/bin/env bash
echo "$*" >> "$CALL_LOG"
script=$1
arg() {
    local key=$1; shift
    while [[ $# -gt 0 ]]; do [[ $1 == "$key" ]] && { echo "$2"; return; }; shift; done
}
case $script in
    */tools/train.py)
        wd=$(arg --work-dir "$@"); mkdir -p "$wd"; cp "$2" "$wd/"
        if [[ $wd == */fold1 ]]; then
            touch "$wd/iter_4.pth"; printf '%s' "$wd/iter_4.pth" > "$wd/last_checkpoint"
        else
            touch "$wd/best_classification_mcc_iter_2.pth"
        fi ;;
    */tools/test.py)
        out=$(arg --out "$@"); cp "$RESULTS_SRC/$(basename "$(dirname "$out")").json" "$out" ;;
    *) exec "$REAL_PYTHON" "$@" ;;
esac
"""


def make_study_annotations(n: int) -> dict:
    videos = []
    for i in range(n):
        for view in ('PA', 'LAT'):
            videos.append({'id': len(videos) + 1, 'file_name': f'dicom/S{i}_{view}.dcm', 'study_id': f'S{i}',
                           'view': view, 'width': 64, 'height': 64, 'num_frames': 5,
                           'acquired': f'2021-02-{i + 1:02d}T08:00:00'})  # fmt: skip
    return {'categories': [{'id': 1, 'name': 'M1'}], 'videos': videos, 'annotations': []}


def run_cv(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    fake = tmp_path / 'fake_python'
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    env = {
        **os.environ,
        'PYTHON': str(fake),
        'REAL_PYTHON': sys.executable,
        'CALL_LOG': str(tmp_path / 'calls.log'),
        'RESULTS_SRC': str(tmp_path / 'src'),
        'PYTHONPATH': str(REPO),
        'OMP_NUM_THREADS': '1',
    }
    return subprocess.run(
        [str(CROSS_VALIDATE), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_cross_validate_script(tmp_path):
    ann_dir = tmp_path / 'data' / 'annotations'
    ann_dir.mkdir(parents=True)
    (ann_dir / 'all.json').write_text(json.dumps(make_study_annotations(8)))
    (tmp_path / 'src').mkdir()
    for k in range(3):
        (tmp_path / 'src' / f'fold{k}.json').write_text(json.dumps(fold_doc(k)))
    config = tmp_path / 'cls.py'
    config.write_text('x = 1\n')

    proc = run_cv(tmp_path, 'cls.py', '--folds', '3', '--ann-dir', 'data/annotations/folds',
                  '--cfg-options', 'train_cfg.max_iters=4')  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    folds_dir = ann_dir / 'folds'
    assert json.loads((folds_dir / 'folds.json').read_text())['num_folds'] == 3  # made by split_folds.py
    work = tmp_path / 'work_dirs' / 'cv' / 'cls'
    calls = (tmp_path / 'calls.log').read_text().splitlines()
    train = [c for c in calls if '/tools/train.py' in c]
    test = [c for c in calls if '/tools/test.py' in c]
    assert len(train) == len(test) == 3
    assert train[0].split() == [
        str(REPO / 'tools' / 'train.py'), 'cls.py', '--work-dir', str(work / 'fold0'), '--cfg-options',
        f'train_dataloader.dataset.ann_file={folds_dir}/fold0_train.json',
        f'val_dataloader.dataset.ann_file={folds_dir}/fold0_val.json',
        f'test_dataloader.dataset.ann_file={folds_dir}/test.json', '--cfg-options', 'train_cfg.max_iters=4',
    ]  # fmt: skip
    # the dumped config and the best checkpoint; fold 1 has only last_checkpoint
    assert test[0].split()[:3] == [
        str(REPO / 'tools' / 'test.py'), str(work / 'fold0' / 'cls.py'),
        str(work / 'fold0' / 'best_classification_mcc_iter_2.pth'),
    ]  # fmt: skip
    assert test[1].split()[2] == str(work / 'fold1' / 'iter_4.pth')
    assert f'--out {work}/fold2/results.json' in test[2]
    mccs = [sklearn_mcc_auc(fold_doc(k), 0.5)[0] for k in range(3)]
    assert f'MCC {np.mean(mccs):.3f} ± {np.std(mccs, ddof=1):.3f}' in proc.stdout
    assert (work / 'cv_summary.json').is_file()

    # an existing split with another number of folds is refused; --skip-done trains nothing
    proc = run_cv(tmp_path, 'cls.py', '--folds', '4', '--ann-dir', 'data/annotations/folds')
    assert proc.returncode == 1 and 'folds.json has 3 folds, not 4' in proc.stderr
    n_calls = len((tmp_path / 'calls.log').read_text().splitlines())
    proc = run_cv(tmp_path, 'cls.py', '--folds', '3', '--ann-dir', 'data/annotations/folds', '--skip-done')
    assert proc.returncode == 0, proc.stderr
    new_calls = (tmp_path / 'calls.log').read_text().splitlines()[n_calls:]
    assert not any('train.py' in c or 'test.py' in c for c in new_calls)
    assert proc.stdout.count('skipped (--skip-done)') == 3


def test_cross_validate_script_errors(tmp_path):
    (tmp_path / 'cls.py').write_text('x = 1\n')
    proc = run_cv(tmp_path, 'missing.py')
    assert proc.returncode == 1 and 'config not found: missing.py' in proc.stderr
    proc = run_cv(tmp_path, 'cls.py', '--folds', '1')
    assert proc.returncode == 1 and '--folds must be an integer >= 2' in proc.stderr
    proc = run_cv(tmp_path, 'cls.py', '--ann-dir', 'nowhere/folds')
    assert proc.returncode == 1 and 'nowhere/folds/folds.json not found, and no' in proc.stderr
    proc = run_cv(tmp_path)
    assert proc.returncode == 2 and 'Chronological k-fold cross-validation' in proc.stdout
