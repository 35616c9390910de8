"""tools/check_dataset.py and tools/browse_dataset.py in a subprocess on the fixture data set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def run(*args: str | Path) -> subprocess.CompletedProcess:
    env = {**os.environ, 'PYTHONPATH': f'{REPO}{os.pathsep}{os.environ.get("PYTHONPATH", "")}'}
    env.setdefault('OMP_NUM_THREADS', '1')
    cmd = [sys.executable, *map(str, args)]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_check_dataset_valid(dsa_data):
    proc = run('tools/check_dataset.py', dsa_data.root, 'annotations/train.json')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'videos: 4 (3 with occlusion, 1 without)' in proc.stdout
    assert 'frames: 24' in proc.stdout
    assert 'M1: 1' in proc.stdout and 'LAT: 1' in proc.stdout
    assert '0 problem(s)' in proc.stdout


@pytest.mark.slow
def test_check_dataset_lists_every_problem(dsa_data, tmp_path):
    content = dsa_data.ann()
    content['annotations'][0]['category_id'] = 99
    content['annotations'][1]['frame_end'] = 9
    content['videos'][2]['num_frames'] = 3
    bad = dsa_data.write_ann(content, tmp_path / 'bad.json')
    proc = run('tools/check_dataset.py', dsa_data.root, dsa_data.ann_file, bad)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    problems = [line for line in proc.stdout.splitlines() if line.startswith('PROBLEM')]
    assert len(problems) == 3
    assert any('annotation id=10' in p and "'category_id'" in p for p in problems)
    assert any('annotation id=11' in p and "'frame_end'" in p for p in problems)
    assert any('video id=3' in p and "'num_frames'" in p for p in problems)
    assert all('bad.json' in p for p in problems)
    assert '2 file(s) checked, 3 problem(s)' in proc.stdout


@pytest.mark.slow
def test_browse_dataset_writes_gifs_and_minips(dsa_data, tmp_path):
    out = tmp_path / 'vis'
    proc = run(
        'tools/browse_dataset.py',
        dsa_data.root,
        'annotations/train.json',
        '--out-dir',
        out,
        '--max-videos',
        '2',
        '--scale',
        '32',
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    gifs = sorted(out.glob('*.gif'))
    assert [g.name for g in gifs] == ['dicom_S0001_LAT.gif', 'dicom_S0001_PA.gif']
    with Image.open(out / 'dicom_S0001_PA.gif') as gif:
        assert gif.n_frames == 6 and gif.size == (32, 32)
    with Image.open(out / 'dicom_S0001_PA_minip.png') as png:
        assert png.size == (32, 32) and png.mode == 'RGB'


@pytest.mark.slow
def test_browse_dataset_from_config(dsa_data, tmp_path):
    config = tmp_path / 'browse_cfg.py'
    config.write_text(
        f'train_dataloader = dict(dataset=dict(type="DSAVideoDataset", data_root={str(dsa_data.root)!r}, '
        'ann_file="annotations/train.json", num_frames=3, pipeline=[dict(type="LoadDSASequence"), '
        'dict(type="ResizeSequence", scale=(32, 32)), dict(type="NeighbourFrameStack", k=1), '
        'dict(type="RandomSequenceFlip", prob=0.5), dict(type="PackDSAInputs")]))\n'
    )
    out = tmp_path / 'vis_cfg'
    proc = run('tools/browse_dataset.py', config, '--out-dir', out, '--max-videos', '3')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(list(out.glob('*.gif'))) == 3 and len(list(out.glob('*.png'))) == 3
