"""tools/benchmark/*: each script runs with tiny settings, prints its tables and writes the documented JSON.

These check that the benchmarks work, never how fast anything is (timings on a shared CPU mean nothing).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..conftest import run_tool

BENCH = Path('tools') / 'benchmark'
TINY_CONFIG = 'configs/occlunet1_dsa_tiny.py'
STATS_KEYS = {'median', 'q1', 'q3', 'min', 'max', 'n'}
GOAL_KEYS = {'goal', 'value', 'target', 'higher_is_better', 'met'}


def run_bench(script: str, out: Path, *args: str) -> dict:
    proc = run_tool(BENCH / script, *args, '--out', out, timeout=900)
    assert '## Goals' in proc.stdout and '|' in proc.stdout, proc.stdout
    return json.loads(out.read_text())


def check_goals(goals: list[dict]) -> None:
    for entry in goals:
        assert set(entry) == GOAL_KEYS
        assert entry['met'] in (True, False, None)


@pytest.mark.slow
def test_bench_inference(tmp_path: Path) -> None:
    doc = run_bench(
        'bench_inference.py', tmp_path / 'inference.json',
        '--sizes', '64', '--frames', '3', '--repeats', '1', '--warmup', '0', '--peak-sizes', '256',
        '--candidates', '10',
    )  # fmt: skip
    assert doc['benchmark'] == 'inference' and doc['matmul_peak_gflops'] > 0
    assert {'machine', 'settings', 'macs_per_frame', 'results', 'ratios', 'goals', 'skipped'} <= set(doc)
    rows = doc['results']['64']
    expected = {
        'yolox_s', 'occlunet1_stream', 'occlunet1_recompute', 'occlunet1_sequence', 'occlunet2_stream',
        'minip_sequence', 'occlunet1_dicom',
    }  # fmt: skip
    assert expected <= set(rows) and set(rows) | set(doc['skipped']) >= expected | {'gru_classifier'}
    for row in rows.values():
        assert set(row['ms_per_frame']) == STATS_KEYS and row['frames_per_s'] > 0
        assert row['gflop_per_frame'] > 0 and row['x_floor'] > 0
    macs = doc['macs_per_frame']['64']
    assert macs['occlunet1_recompute'] > 2 * macs['occlunet1_stream'] > 2 * macs['yolox_s'] * 0.9
    assert set(doc['ratios']['64']) >= {'occlunet1_stream/yolox_s', 'occlunet1_stream/occlunet1_recompute'}
    check_goals(doc['goals'])
    assert all(g['met'] is None for g in doc['goals'])  # the goals are for 512^2


@pytest.mark.slow
def test_bench_data(tmp_path: Path) -> None:
    doc = run_bench(
        'bench_data.py', tmp_path / 'data.json',
        '--decode-sizes', '64', '--frames', '3', '--repeats', '2', '--gen-size', '64',
        '--config', TINY_CONFIG, '--studies', '1', '--data-size', '64', '--batches', '2',
        '--train-step-s', '1.0',
    )  # fmt: skip
    assert set(doc['decode']) == {'64/none', '64/rle'}
    for row in doc['decode'].values():
        assert row['frames_per_s'] > 0 and set(row['seconds_per_run']) == STATS_KEYS
    assert doc['generator']['frames_per_s'] > 0 and doc['generator']['size'] == 64
    loader = doc['loader']
    assert (
        loader['loader_samples_per_s'] > 0
        and loader['loader_targets_per_s'] >= loader['loader_samples_per_s']
    )
    assert loader['train_step_s'] == 1.0 and not loader['train_step_measured']
    assert isinstance(loader['loader_is_bottleneck'], bool)
    check_goals(doc['goals'])


@pytest.mark.slow
def test_bench_memory(tmp_path: Path) -> None:
    doc = run_bench(
        'bench_memory.py', tmp_path / 'memory.json',
        '--config', TINY_CONFIG, '--size', '64', '--frames', '3', '--modes', 'stream_no_gif', 'offline',
    )  # fmt: skip
    assert set(doc['results']) == {'stream_no_gif', 'offline'}
    for row in doc['results'].values():
        assert row['returncode'] == 0 and row['peak_rss_bytes'] > 2**20 and row['seconds'] > 0
    check_goals(doc['goals'])
    assert [g['met'] for g in doc['goals']] == [True]  # a 3-frame 64 px run fits in 2 GiB


@pytest.mark.slow
def test_bench_train(tmp_path: Path) -> None:
    doc = run_bench(
        'bench_train.py', tmp_path / 'train.json',
        '--config', TINY_CONFIG, '--size', '64', '--batch', '2', '--clip-targets', '2', '--repeats', '1',
    )  # fmt: skip
    rows = doc['results']
    assert {'yolox_s', 'occlunet1_windows'} <= set(rows)
    for row in rows.values():
        assert set(row['s_per_step']) == STATS_KEYS and row['s_per_target_frame'] > 0
    assert rows['yolox_s']['x_yolox_s'] == 1.0
    check_goals(doc['goals'])
