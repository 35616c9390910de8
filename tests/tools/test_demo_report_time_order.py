"""tools/analysis/demo_report.py: the time-order ablation table from hand-made result files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from occlunet.evaluation.stats import ResultsFileError, time_order_path

from ..conftest import REPO, load_tool, run_tool

REPORT_TOOL = REPO / 'tools' / 'analysis' / 'demo_report.py'


REPORT = load_tool(REPORT_TOOL)


def result(path: Path, precision: float, recall: float, mcc: float, auc: float, order: str | None = None,
           score_thr: float = 0.2) -> Path:  # fmt: skip
    """A minimal result file with the given sequence metrics (and ``settings.time_order`` when given)."""
    metrics = {'sequence/precision': precision, 'sequence/recall': recall, 'sequence/f1': 0.5,
               'sequence/mcc': mcc, 'sequence/auc': auc, 'sequence/tp': 1, 'sequence/fp': 0,
               'sequence/fn': 1, 'sequence/tn': 0}  # fmt: skip
    settings = dict(score_thr=score_thr, distance_thr=25.0, ref_size=512, single_class=True)
    if order is not None:
        settings |= dict(time_order=order, time_seed=0)
    open_run = dict(video_id=0, file_name='S0.dcm', outcome='TN', gt_label=0, gt=[], best_track=None,
                    tracks=[], ori_shape=[512, 512])  # fmt: skip
    doc = dict(settings=settings, num_sequences=1, metrics=metrics, sweep=[], sequences=[open_run])
    path.write_text(json.dumps(doc))
    return path


def test_results_path_of_each_order(tmp_path):
    assert time_order_path(tmp_path / 'o1.json', 'forward') == tmp_path / 'o1.json'
    assert time_order_path(tmp_path / 'o1.json', 'reverse') == tmp_path / 'o1_reverse.json'


def test_table_rows_per_model_and_order_with_the_recall_change(tmp_path):
    o1 = result(tmp_path / 'o1.json', 0.9, 0.8, 0.6, 0.85)
    result(time_order_path(o1, 'reverse'), 0.7, 0.5, 0.2, 0.6, order='reverse')
    result(time_order_path(o1, 'shuffle'), 0.8, 0.65, 0.4, 0.7, order='shuffle')
    minip = result(tmp_path / 'minip.json', 0.5, 0.4, 0.1, 0.55)
    result(time_order_path(minip, 'reverse'), 0.5, 0.4, 0.1, 0.55, order='reverse')
    plain = result(tmp_path / 'o2.json', 0.5, 0.5, 0.5, 0.5)  # no ablation runs: no rows
    lines = REPORT.time_order_table([('OccluNet1', o1), ('MinIP', minip), ('OccluNet2', plain)])
    assert lines[0] == '## Time-order ablation (does the model use time?)'
    header = lines.index('| model | order | precision | recall | MCC | ROC AUC | ΔR vs forward |')
    assert lines[header + 2 :] == [
        '| OccluNet1 | forward | 0.900 | 0.800 | 0.600 | 0.850 | — |',
        '| OccluNet1 | reverse | 0.700 | 0.500 | 0.200 | 0.600 | -0.300 |',
        '| OccluNet1 | shuffle | 0.800 | 0.650 | 0.400 | 0.700 | -0.150 |',
        '| MinIP | forward | 0.500 | 0.400 | 0.100 | 0.550 | — |',
        '| MinIP | reverse | 0.500 | 0.400 | 0.100 | 0.550 | +0.000 |',
    ]
    assert REPORT.time_order_table([('OccluNet2', plain)]) == []


def test_ablation_files_must_match_their_order_and_the_threshold(tmp_path):
    o1 = result(tmp_path / 'o1.json', 0.9, 0.8, 0.6, 0.85)
    reverse = result(time_order_path(o1, 'reverse'), 0.7, 0.5, 0.2, 0.6)  # tested forward by mistake
    with pytest.raises(ResultsFileError, match="time_order is 'forward', expected 'reverse'"):
        REPORT.time_order_table([('OccluNet1', o1)])
    result(reverse, 0.7, 0.5, 0.2, 0.6, order='reverse', score_thr=0.01)
    with pytest.raises(ResultsFileError, match='score_thr 0.01 differs from 0.2'):
        REPORT.time_order_table([('OccluNet1', o1)])


def test_report_has_the_section_when_ablation_files_exist(tmp_path):
    o1 = result(tmp_path / 'o1.json', 0.9, 0.8, 0.6, 0.85)
    result(time_order_path(o1, 'reverse'), 0.7, 0.5, 0.2, 0.6, order='reverse')
    out = tmp_path / 'report.md'
    run_tool(REPORT_TOOL, '--out', out, '--results', f'OccluNet1={o1}')
    text = out.read_text()
    assert '## Time-order ablation' in text and '| OccluNet1 | reverse | 0.700 | 0.500 |' in text
