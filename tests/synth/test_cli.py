"""tools/make_synthetic.py end to end in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from occlunet.synth import GENERATOR_VERSION, SynthParams
from tests.conftest import REPO, load_tool


@pytest.mark.slow
def test_make_synthetic_cli(tmp_path):
    out = tmp_path / 'synth'
    env = {**os.environ, 'PYTHONPATH': f'{REPO}{os.pathsep}{os.environ.get("PYTHONPATH", "")}'}
    cmd = [
        sys.executable,
        'tools/make_synthetic.py',
        '--out',
        str(out),
        '--studies',
        '4',
        '--size',
        '64',
        '--seed',
        '1',
        '--frames-min',
        '4',
        '--frames-max',
        '6',
        '--fps-min',
        '2',
        '--fps-max',
        '3',
        '--occlusion-fraction',
        '1.0',
        '--classes',
        'M1',
        'M2',
        '--split',
        '0.5',
        '0.25',
        '0.25',
        '--compress',
        'rle',
        '--bits-stored',
        '10',
        '--workers',
        '2',
    ]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    names = sorted(p.name for p in (out / 'dicom').iterdir())
    assert names == sorted(f'S{i:04d}_{v}.dcm' for i in range(4) for v in ('PA', 'LAT'))
    assert sorted(p.name for p in (out / 'annotations').iterdir()) == [
        'all.json',
        'test.json',
        'train.json',
        'val.json',
    ]
    data = json.loads((out / 'annotations' / 'all.json').read_text())
    assert len(data['videos']) == 8 and len(data['annotations']) == 8  # every study occluded, both views
    assert {a['category_id'] for a in data['annotations']} <= {1, 2}
    assert all(4 <= v['num_frames'] <= 6 and v['frame_rate'] in (2.0, 2.5, 3.0) for v in data['videos'])
    assert data['info']['params']['compress'] == 'rle' and data['info']['params']['bits_stored'] == 10
    sizes = [
        len(json.loads((out / 'annotations' / f'{s}.json').read_text())['videos'])
        for s in ('train', 'val', 'test')
    ]
    assert sizes == [4, 2, 2]
    summary = json.loads(proc.stdout[proc.stdout.index('{') :])
    assert summary['num_studies'] == 4 and summary['num_occluded_studies'] == 4
    assert summary['version'] == data['info']['version'] == GENERATOR_VERSION and summary['preset'] == 'v2'
    generator = json.loads((out / 'generator.json').read_text())
    assert [s['index'] for s in generator['studies']] == [0, 1, 2, 3] and generator['seed'] == 1
    card = json.loads((out / 'data_card.json').read_text())
    assert card['deficit_kept']['all occluded']['territory']['minip']['n'] == 4
    assert (out / 'data_card.md').read_text().startswith('# Data card')


def test_cli_rejects_bad_arguments(tmp_path):
    cmd = [sys.executable, 'tools/make_synthetic.py', '--out', str(tmp_path), '--bits-stored', '8']
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and 'bits-stored' in proc.stderr


@pytest.mark.parametrize('fps, duration, frames', [(1.0, 3.0, 3), (4.0, 19.0, 76)])
def test_cli_reaches_3_to_76_frames(tmp_path, fps, duration, frames):
    """The issue asks for 1-4 frames/s and 3-76 frames: the run length (--duration-*) sets the frame count."""
    cli = load_tool('tools/make_synthetic.py')
    args = ['--out', str(tmp_path), '--studies', '1', '--size', '32', '--seed', '2', '--no-progress']
    args += ['--fps-min', str(fps), '--fps-max', str(fps), '--frames-min', '3', '--frames-max', '76']
    args += ['--duration-min', str(duration), '--duration-max', str(duration), '--occlusion-fraction', '1']
    args += ['--two-rate-probability', '0', '--no-card']
    summary = cli.main(args)
    data = json.loads((tmp_path / 'annotations' / 'all.json').read_text())
    assert [v['num_frames'] for v in data['videos']] == [frames, frames]
    assert all(v['frame_rate'] == fps for v in data['videos'])
    assert data['info']['params']['duration_s'] == [duration, duration]
    assert summary['num_frames'] == 2 * frames
    assert all(0 <= a['frame_start'] <= a['frame_end'] < frames for a in data['annotations'])
    defaults = cli.parse_args(['--out', str(tmp_path)])
    assert defaults.preset == 'v2' and cli.overrides(defaults) == {}  # the preset gives every default
    assert SynthParams().duration_s == (10.0, 16.0)


def test_cli_flags_override_the_preset(tmp_path):
    cli = load_tool('tools/make_synthetic.py')
    args = cli.parse_args(['--out', str(tmp_path), '--preset', 'v1', '--frames-max', '12', '--classes', 'M1'])
    assert args.preset == 'v1'
    assert cli.overrides(args) == {'frames_max': 12, 'classes': ('M1',)}
    with pytest.raises(SystemExit):
        cli.parse_args(['--out', str(tmp_path), '--duration-min', '3'])  # --duration-max missing
