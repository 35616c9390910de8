"""McNemar's test (occlunet.evaluation.stats) and tools/analysis/mcnemar.py on hand-made result files."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from occlunet.evaluation.stats import (
    ResultsFileError,
    load_results,
    mcnemar_test,
    paired_correctness,
)
from tests.conftest import REPO, load_tool, run_tool

TOOL = REPO / 'tools' / 'analysis' / 'mcnemar.py'


def chi2_sf_1dof(x: float) -> float:
    """Upper tail of chi-square with 1 dof, by hand: P(Z^2 > x) = erfc(sqrt(x / 2))."""
    return math.erfc(math.sqrt(x / 2))


def flags(both: int, a_only: int, b_only: int, neither: int) -> tuple[list[bool], list[bool]]:
    correct_a = [True] * both + [True] * a_only + [False] * b_only + [False] * neither
    correct_b = [True] * both + [False] * a_only + [True] * b_only + [False] * neither
    return correct_a, correct_b


def sequence(file_name: str, video_id: int, outcome: str, score: float | None = None) -> dict:
    has_gt = outcome in ('TP', 'FN', 'FN+FP')
    best = None if score is None else dict(bbox=[0, 0, 10, 10], label=0, score=score, confidence=0.5)
    return dict(
        video_id=video_id,
        file_name=file_name,
        img_path=f'/data/{file_name}',
        gt_label=int(has_gt),
        gt=[dict(bbox=[0, 0, 10, 10], label=0, label_name='occlusion')] if has_gt else [],
        best_track=best,
        tracks=[] if best is None else [best],
        outcome=outcome,
    )


def results_doc(sequences: list[dict]) -> dict:
    return dict(
        settings=dict(score_thr=0.01, distance_thr=25.0),
        num_sequences=len(sequences),
        metrics={'sequence/precision': 0.5},
        sweep=[dict(score_thr=0.01, tp=1, fp=1, fn=1, tn=1, precision=0.5, recall=0.5, f1=0.5)],
        sequences=sequences,
    )


def write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


# outcomes of 12 sequences for models A and B: 2 both correct, 7 only A, 1 only B, 2 both wrong
OUTCOMES_A = ['TP', 'TN'] + ['TP'] * 4 + ['TN'] * 3 + ['FN'] + ['FN+FP', 'FP']
OUTCOMES_B = ['TP', 'TN'] + ['FN'] * 4 + ['FP'] * 3 + ['TP'] + ['FN', 'FN+FP']


def model_docs() -> tuple[dict, dict]:
    names = [f'dicom/S{i:04d}_PA.dcm' for i in range(len(OUTCOMES_A))]
    doc_a = results_doc([sequence(n, i, o, 1.0) for i, (n, o) in enumerate(zip(names, OUTCOMES_A))])
    # B lists the sequences in another order
    doc_b = results_doc([sequence(n, i, o, 1.0) for i, (n, o) in enumerate(zip(names, OUTCOMES_B))][::-1])
    return doc_a, doc_b


# ----------------------------------------------------------------------------------------------------
def test_mcnemar_hand_computed_table():
    result = mcnemar_test(*flags(both=5, a_only=7, b_only=1, neither=3))
    assert result.table == ((5, 7), (1, 3))
    assert (result.b, result.c, result.n) == (7, 1, 16)
    # exact: 2 * sum_{k <= 1} C(8, k) / 2^8 = 2 * (1 + 8) / 256
    assert result.p_exact == pytest.approx(0.0703125, abs=1e-12)
    assert result.chi2 == pytest.approx((6 - 1) ** 2 / 8) == 3.125
    assert result.p_chi2 == pytest.approx(chi2_sf_1dof(3.125), rel=1e-9)
    assert result.to_dict()['table'] == [[5, 7], [1, 3]]


def test_mcnemar_is_symmetric_in_the_models():
    a, b = flags(both=0, a_only=2, b_only=9, neither=4)
    forward, backward = mcnemar_test(a, b), mcnemar_test(b, a)
    assert (forward.b, forward.c) == (backward.c, backward.b) == (2, 9)
    assert forward.p_exact == pytest.approx(backward.p_exact)
    assert forward.chi2 == pytest.approx(backward.chi2) == pytest.approx((7 - 1) ** 2 / 11)
    # exact: 2 * sum_{k <= 2} C(11, k) / 2^11
    assert forward.p_exact == pytest.approx(2 * (1 + 11 + 55) / 2**11)


@pytest.mark.parametrize('counts', [(6, 0, 0, 4), (0, 0, 0, 0)])
def test_mcnemar_without_discordant_pairs(counts):
    result = mcnemar_test(*flags(*counts))
    assert (result.b, result.c) == (0, 0)
    assert result.p_exact == result.p_chi2 == 1.0
    assert result.chi2 == 0.0


def test_mcnemar_rejects_unequal_lengths():
    with pytest.raises(ValueError, match='3 flags for A but 2 for B'):
        mcnemar_test([True, False, True], [True, False])


# ----------------------------------------------------------------------------------------------------
def test_paired_correctness_pairs_by_file_name_and_video_id():
    doc_a, doc_b = model_docs()
    keys, correct_a, correct_b = paired_correctness(doc_a, doc_b)
    assert keys == [(s['file_name'], s['video_id']) for s in doc_a['sequences']]  # in A's order
    assert correct_a.tolist() == [o in ('TP', 'TN') for o in OUTCOMES_A]
    assert correct_b.tolist() == [o in ('TP', 'TN') for o in OUTCOMES_B]
    result = mcnemar_test(correct_a, correct_b)
    assert result.table == ((2, 7), (1, 2))


def test_paired_correctness_same_file_name_other_video_id_is_another_sequence():
    doc_a = results_doc([sequence('a.dcm', 0, 'TP'), sequence('a.dcm', 1, 'TN')])
    doc_b = results_doc([sequence('a.dcm', 1, 'FP'), sequence('a.dcm', 0, 'FN')])
    keys, correct_a, correct_b = paired_correctness(doc_a, doc_b)
    assert keys == [('a.dcm', 0), ('a.dcm', 1)]
    assert correct_a.tolist() == [True, True] and correct_b.tolist() == [False, False]


def test_paired_correctness_mismatch_names_both_files_and_the_unmatched_sequences():
    doc_a, doc_b = model_docs()
    doc_b = results_doc(doc_b['sequences'][2:] + [sequence('extra.dcm', 99, 'TN')])
    with pytest.raises(ValueError) as info:
        paired_correctness(doc_a, doc_b, names=('runs/a.json', 'runs/b.json'))
    message = str(info.value)
    assert 'runs/a.json' in message and 'runs/b.json' in message
    assert "2 only in runs/a.json: ('dicom/S0010_PA.dcm', 10), ('dicom/S0011_PA.dcm', 11)" in message
    assert "1 only in runs/b.json: ('extra.dcm', 99)" in message


def test_paired_correctness_mismatch_lists_only_the_first_few():
    doc_a = results_doc([sequence(f'{i}.dcm', i, 'TP') for i in range(8)])
    doc_b = results_doc([])
    with pytest.raises(ValueError, match=r'8 only in A: .*\.\.\. \(3 more\)'):
        paired_correctness(doc_a, doc_b)


def test_paired_correctness_rejects_duplicate_sequences():
    doc = results_doc([sequence('a.dcm', 0, 'TP'), sequence('a.dcm', 0, 'FN')])
    with pytest.raises(ValueError, match=r"B: sequence \(file_name, video_id\)=\('a.dcm', 0\) appears more"):
        paired_correctness(results_doc([sequence('a.dcm', 0, 'TP')]), doc)


# ----------------------------------------------------------------------------------------------------
def test_load_results_accepts_a_result_file(tmp_path):
    doc_a, _ = model_docs()
    assert load_results(write(tmp_path / 'a.json', doc_a)) == doc_a


@pytest.mark.parametrize('key', ['settings', 'num_sequences', 'metrics', 'sweep', 'sequences'])
def test_load_results_names_the_file_and_the_missing_key(tmp_path, key):
    doc_a, _ = model_docs()
    del doc_a[key]
    path = write(tmp_path / 'a.json', doc_a)
    with pytest.raises(ResultsFileError, match=rf"{path}: not a SequenceDetectionMetric .*\['{key}'\]"):
        load_results(path)


@pytest.mark.parametrize(
    'corrupt, match',
    [
        (lambda d: d['sequences'][1].pop('outcome'), r"sequences\[1\] lacks key\(s\) \['outcome'\]"),
        (lambda d: d['sequences'][0].update(outcome='XX'), "unknown outcome 'XX'"),
        (lambda d: d['sequences'][0]['best_track'].pop('score'), "best_track lacks key 'score'"),
        (lambda d: d['sweep'][0].pop('recall'), r"sweep\[0\] lacks key\(s\) \['recall'\]"),
        (lambda d: d.update(num_sequences=3), 'num_sequences=3 but 12 entries'),
    ],
)
def test_load_results_checks_the_entries(tmp_path, corrupt, match):
    doc_a, _ = model_docs()
    corrupt(doc_a)
    path = write(tmp_path / 'a.json', doc_a)
    with pytest.raises(ResultsFileError, match=match):
        load_results(path)


def test_load_results_rejects_other_json_and_non_json(tmp_path):
    coco = write(tmp_path / 'ann.json', dict(images=[], annotations=[], categories=[]))
    with pytest.raises(ResultsFileError, match=r"ann.json: not a SequenceDetectionMetric .*'settings'"):
        load_results(coco)
    listing = write(tmp_path / 'list.json', [1, 2])
    with pytest.raises(ResultsFileError, match='expected a JSON object, got list'):
        load_results(listing)
    text = tmp_path / 'results.pkl'
    text.write_bytes(b'\x80\x04not json')
    with pytest.raises(ResultsFileError, match='results.pkl: not a JSON file'):
        load_results(text)


# ----------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_cli_end_to_end(tmp_path):
    doc_a, doc_b = model_docs()
    path_a, path_b = write(tmp_path / 'a.json', doc_a), write(tmp_path / 'b.json', doc_b)
    out = tmp_path / 'report' / 'mcnemar.json'
    proc = run_tool(TOOL, path_a, path_b, '--names', 'OccluNet1', 'OccluNet2', '--json', out, timeout=300)
    stdout = proc.stdout
    assert 'McNemar test on 12 paired sequences' in stdout
    assert 'A = OccluNet1, B = OccluNet2' in stdout
    assert re.search(r'^  both correct +2$', stdout, re.M)
    assert re.search(r'^  only A correct \(OccluNet1\) +7   b$', stdout, re.M)
    assert re.search(r'^  only B correct \(OccluNet2\) +1   c$', stdout, re.M)
    assert re.search(r'^  both wrong +2$', stdout, re.M)
    assert 'accuracy: A 0.7500 (9/12), B 0.2500 (3/12)' in stdout
    assert 'discordant pairs: b = 7, c = 1' in stdout
    assert 'exact binomial p (two-sided, p = 0.5): 0.0703125' in stdout
    assert f'chi2 (continuity-corrected, 1 dof): 3.125, p = {chi2_sf_1dof(3.125):.6g}' in stdout

    report = json.loads(out.read_text())
    assert report['table'] == [[2, 7], [1, 2]]
    assert (report['b'], report['c'], report['n']) == (7, 1, 12)
    assert report['p_exact'] == pytest.approx(0.0703125)
    assert report['chi2'] == pytest.approx(3.125)
    assert report['p_chi2'] == pytest.approx(chi2_sf_1dof(3.125))
    assert report['models']['A'] == dict(name='OccluNet1', file=str(path_a), correct=9, accuracy=0.75)
    assert report['models']['B'] == dict(name='OccluNet2', file=str(path_b), correct=3, accuracy=0.25)
    assert len(report['discordant']) == 8
    assert report['discordant'][0] == dict(
        file_name='dicom/S0002_PA.dcm', video_id=2, outcome_a='TP', outcome_b='FN'
    )


def test_cli_mismatch_exits_nonzero_naming_both_files(tmp_path, capsys):
    doc_a, doc_b = model_docs()
    doc_b = results_doc(doc_b['sequences'][1:])
    path_a, path_b = write(tmp_path / 'a.json', doc_a), write(tmp_path / 'b.json', doc_b)
    assert load_tool(TOOL).main([str(path_a), str(path_b)]) == 1
    err = capsys.readouterr().err
    assert err.startswith('mcnemar.py: error: ')
    assert str(path_a) in err and str(path_b) in err and "('dicom/S0011_PA.dcm', 11)" in err


def test_cli_invalid_file_exits_nonzero(tmp_path, capsys):
    doc_a, doc_b = model_docs()
    del doc_b['sweep']
    path_a, path_b = write(tmp_path / 'a.json', doc_a), write(tmp_path / 'b.json', doc_b)
    assert load_tool(TOOL).main([str(path_a), str(path_b)]) == 1
    assert f'{path_b}: not a SequenceDetectionMetric' in capsys.readouterr().err
    assert load_tool(TOOL).main([str(path_a), str(tmp_path / 'missing.json')]) == 1
    assert 'missing.json' in capsys.readouterr().err
