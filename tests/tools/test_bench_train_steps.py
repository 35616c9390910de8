"""tools/benchmark/bench_train_steps.py: the step breakdown of a real config on real (tiny) data.

Checks that the breakdown is complete and consistent, never how fast anything is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from occlunet.synth import generate_dataset

from ..conftest import run_tool

COMPONENTS = {'data', 'preprocess', 'spatial', 'temporal', 'head+assign', 'backward', 'optimizer'}


@pytest.mark.slow
def test_step_breakdown_of_the_demo_config(tmp_path: Path) -> None:
    root = tmp_path / 'data'
    generate_dataset(root, 2, size=64, seed=1, progress=False, frames_min=5, frames_max=6, card=False)
    out = tmp_path / 'steps.json'
    proc = run_tool(
        'tools/benchmark/bench_train_steps.py', 'configs/occlunet1_dsa_tiny.py', '--data-root', root,
        '--steps', '2', '--warmup', '1', '--out', out,
        '--cfg-options', 'train_dataloader.dataset.ann_file=annotations/all.json',
        'train_dataloader.dataset.pipeline.1.scale=(64,64)',
    )  # fmt: skip
    assert '| configs/occlunet1_dsa_tiny.py |' in proc.stdout
    (row,) = json.loads(out.read_text())
    assert set(row['components_s']) == COMPONENTS
    assert row['components_s']['spatial'] > 0 and row['components_s']['temporal'] > 0
    assert sum(row['components_s'].values()) <= row['step_s'] * 1.01
    assert row['target_frames_per_step'] == 2 * 6  # 2 clips of 6 targets (the tiny config), or fewer frames
    assert row['gflop_per_step'] > 0 and 0 < row['achieved_over_floor'] < 1
