"""End to end on DSA data: tools/train.py on each *_tiny config for a few iterations (with validation on
whole sequences), then tools/test.py --out results.json on the held-out split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from occlunet.synth import generate_dataset

from ..conftest import run_tool

pytestmark = pytest.mark.slow

TINY_CONFIGS = ('occlunet1_dsa_tiny', 'occlunet2_dsa_tiny', 'yolox_s_minip_dsa_tiny')
ITERS = 3


@pytest.fixture(scope='module')
def dsa_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp('dsa_e2e')
    generate_dataset(
        root, 8, size=64, seed=3, split=(0.5, 0.25, 0.25), progress=False, frames_min=5, frames_max=6
    )
    return root


def _options(scale: int = 64) -> list[str]:
    """Train a few iterations at the DICOM size (64 px) instead of the config's 256 px."""
    opts = [
        f'train_cfg.max_iters={ITERS}',
        f'train_cfg.val_interval={ITERS}',
        f'default_hooks.checkpoint.interval={ITERS}',
        'default_hooks.logger.interval=1',
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts.append(f'{loader}.dataset.pipeline.1.scale=({scale},{scale})')
    return ['--cfg-options', *opts]


@pytest.mark.parametrize('config', TINY_CONFIGS)
def test_tiny_config_trains_validates_and_tests(config: str, dsa_root: Path, tmp_path: Path) -> None:
    work = tmp_path / 'work'
    cfg = f'configs/{config}.py'
    run_tool('tools/train.py', cfg, '--work-dir', work, '--data-root', dsa_root, *_options(), timeout=900)
    ckpt = work / f'iter_{ITERS}.pth'
    assert ckpt.is_file()
    logs = list(work.glob('*/*.log'))
    assert logs and f'Iter(train) [{ITERS}/{ITERS}]' in logs[0].read_text()
    assert 'sequence/recall' in logs[0].read_text()  # validation on whole sequences ran

    out = tmp_path / 'results.json'
    proc = run_tool(
        'tools/test.py', cfg, ckpt, '--work-dir', tmp_path / 'test', '--data-root', dsa_root,
        '--out', out, *_options(), timeout=900,
    )  # fmt: skip
    assert 'sequence/precision' in proc.stdout + proc.stderr
    results = json.loads(out.read_text())
    test_videos = json.loads((dsa_root / 'annotations' / 'test.json').read_text())['videos']
    sequences = results['sequences']
    assert sorted(s['video_id'] for s in sequences) == sorted(v['id'] for v in test_videos)
    for seq in sequences:
        assert seq['outcome'] in {'TP', 'FP', 'FN', 'FN+FP', 'TN'}
    outcomes = [seq['outcome'] for seq in sequences]
    metrics = results['metrics']
    assert metrics['sequence/tp'] == outcomes.count('TP')
    assert metrics['sequence/tn'] == outcomes.count('TN')
    assert metrics['sequence/fn'] == outcomes.count('FN') + outcomes.count('FN+FP')
    assert metrics['sequence/fp'] == outcomes.count('FP') + outcomes.count('FN+FP')


@pytest.mark.parametrize('config', TINY_CONFIGS[:1])
def test_show_is_refused_for_sequence_configs(config: str, tmp_path: Path) -> None:
    proc = run_tool('tools/test.py', f'configs/{config}.py', tmp_path / 'none.pth', '--show', check=False)
    assert proc.returncode != 0
    assert '--show is not supported' in proc.stderr and 'use --show-dir' in proc.stderr
