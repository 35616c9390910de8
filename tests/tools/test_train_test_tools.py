"""tools/train.py, tools/test.py and tools/dist_train.sh end to end on the smoke config (subprocesses)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.conftest import REPO, SMOKE_CONFIG, run_tool, smoke_options, tool_env

pytestmark = pytest.mark.slow

MAX_ITERS = 9
INTERVAL = 3
DETERMINISTIC = {'randomness.seed': 7, 'randomness.deterministic': True}


def _train_options(data_root: Path, **extra: object) -> list[str]:
    return smoke_options(data_root, **{'train_cfg.max_iters': MAX_ITERS}, **DETERMINISTIC, **extra)


def _load(ckpt: Path) -> dict:
    from occlunet.engine import load_weights_only

    return load_weights_only(str(ckpt), map_location='cpu')


@pytest.fixture(scope='module')
def reference_run(smoke_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted, deterministic run of the smoke config."""
    work_dir = tmp_path_factory.mktemp('reference')
    run_tool('tools/train.py', SMOKE_CONFIG, '--work-dir', work_dir, *_train_options(smoke_data))
    return work_dir


def test_train_writes_checkpoint_and_log(reference_run: Path) -> None:
    ckpts = sorted(p.name for p in reference_run.glob('iter_*.pth'))
    assert ckpts == ['iter_3.pth', 'iter_6.pth', 'iter_9.pth']
    logs = list(reference_run.glob('*/*.log'))
    assert logs and 'loss' in logs[0].read_text()
    assert _load(reference_run / 'iter_9.pth')['meta']['iter'] == MAX_ITERS


def test_test_tool_prints_metrics(reference_run: Path, smoke_data: Path, tmp_path: Path) -> None:
    out = tmp_path / 'preds.pkl'
    proc = run_tool(
        'tools/test.py', SMOKE_CONFIG, reference_run / 'iter_9.pth', '--work-dir', tmp_path,
        '--out', out, *smoke_options(smoke_data),
    )  # fmt: skip
    assert 'coco/bbox_mAP' in proc.stdout + proc.stderr
    assert out.stat().st_size > 0


def test_deterministic_runs_are_identical(reference_run: Path, smoke_data: Path, tmp_path: Path) -> None:
    run_tool('tools/train.py', SMOKE_CONFIG, '--work-dir', tmp_path, *_train_options(smoke_data))
    a = _load(reference_run / 'iter_9.pth')['state_dict']
    b = _load(tmp_path / 'iter_9.pth')['state_dict']
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_after_sigkill_matches_uninterrupted(
    reference_run: Path, smoke_data: Path, tmp_path: Path
) -> None:
    cmd = [sys.executable, 'tools/train.py', str(SMOKE_CONFIG), '--work-dir', str(tmp_path),
           *_train_options(smoke_data)]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=tool_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    try:
        while not (tmp_path / 'last_checkpoint').exists():  # written after the first checkpoint is complete
            assert proc.poll() is None, 'training ended before its first checkpoint'
            assert time.monotonic() < deadline, 'no checkpoint within 300 s'
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / f'iter_{MAX_ITERS}.pth').exists(), 'killed too late to test resuming'

    run_tool('tools/train.py', SMOKE_CONFIG, '--work-dir', tmp_path, '--resume', *_train_options(smoke_data))
    resumed = _load(tmp_path / f'iter_{MAX_ITERS}.pth')
    reference = _load(reference_run / f'iter_{MAX_ITERS}.pth')
    assert resumed['meta']['iter'] == reference['meta']['iter'] == MAX_ITERS
    for key, value in reference['state_dict'].items():
        torch.testing.assert_close(resumed['state_dict'][key], value, rtol=1e-5, atol=1e-6)


def test_dist_train_two_cpu_processes(smoke_data: Path, tmp_path: Path) -> None:
    proc = run_tool(
        'tools/dist_train.sh', SMOKE_CONFIG, '2', '--work-dir', tmp_path,
        *smoke_options(smoke_data, **{'train_cfg.max_iters': 2, 'train_cfg.val_interval': 2,
                                      'default_hooks.checkpoint.interval': 2}),
        env={'PORT': str(29500 + os.getpid() % 1000)},
    )  # fmt: skip
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['iter_2.pth']
    log = proc.stdout + proc.stderr
    assert 'Distributed training: True' in log and 'GPU number: 2' in log  # mmengine's env report: 2 ranks
    ckpt = _load(tmp_path / 'iter_2.pth')
    assert ckpt['meta']['iter'] == 2
