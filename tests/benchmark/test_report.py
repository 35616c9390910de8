"""occlunet.benchmark.report: Markdown tables, goals and the JSON document of a benchmark."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from occlunet.benchmark import fmt, format_table, goal, goals_table, write_json


def test_format_table_pads_columns_and_blanks_none():
    table = format_table(['variant', 'ms'], [['yolox_s', 12.5], ['occlunet1_stream', None]])
    assert table.splitlines() == [
        '| variant          | ms   |',
        '|------------------|------|',
        '| yolox_s          | 12.5 |',
        '| occlunet1_stream |      |',
    ]


def test_goal_verdicts():
    assert goal('ratio', 1.2, 1.25)['met'] is True  # lower is better by default
    assert goal('ratio', 1.3, 1.25)['met'] is False
    assert goal('frames/s', 6.0, 5.0, higher_is_better=True)['met'] is True
    assert goal('frames/s', None, 5.0, True) == {
        'goal': 'frames/s', 'value': None, 'target': 5.0, 'higher_is_better': True, 'met': None,
    }  # fmt: skip
    rows = goals_table([goal('a', 1.0, 2.0), goal('b', 3.0, 2.0), goal('c', None, 5.0, True)]).splitlines()
    assert [r.split('|')[-2].strip() for r in rows[2:]] == ['met', 'MISSED', 'not measured']
    assert '>= 5.0' in rows[4] and '<= 2.0' in rows[2] and fmt(None) is None and fmt(1.23456, 3) == '1.235'


def test_write_json(tmp_path: Path, capsys: pytest.CaptureFixture):
    write_json(None, {'x': 1})  # no --out: nothing written
    out = tmp_path / 'sub' / 'bench.json'
    write_json(out, {'x': 1.5})
    assert json.loads(out.read_text()) == {'x': 1.5} and f'wrote {out}' in capsys.readouterr().out
    with pytest.raises(ValueError):
        write_json(out, {'x': math.nan})  # strict JSON
