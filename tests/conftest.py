"""Shared fixtures: the tiny smoke image set, a runner for the command-line tools and a loader of their
scripts as modules."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from occlunet.testing import smoke_cfg_options, write_smoke_coco

REPO = Path(__file__).resolve().parents[1]
SMOKE_CONFIG = REPO / 'configs' / 'smoke' / 'yolox_tiny_smoke.py'


@pytest.fixture(scope='session')
def smoke_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_smoke_coco(tmp_path_factory.mktemp('smoke_data'))


def smoke_options(data_root: Path, **extra: object) -> list[str]:
    """``--cfg-options`` that point the smoke config at a data root written by ``write_smoke_coco``."""
    opts = {**smoke_cfg_options(data_root), **extra}
    return ['--cfg-options', *(f'{k}={v}' for k, v in opts.items())]


def tool_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env['PYTHONPATH'] = f'{REPO}{os.pathsep}{env.get("PYTHONPATH", "")}'
    env.setdefault('OMP_NUM_THREADS', '1')
    env['PYTHON'] = sys.executable
    return env


def run_tool(
    *args: str | Path, timeout: float = 600, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``python tools/...`` (or a shell script in tools/) from the repo root and capture its output."""
    first = str(args[0])
    cmd = [str(a) for a in args] if first.endswith('.sh') else [sys.executable, *map(str, args)]
    proc = subprocess.run(
        cmd, cwd=REPO, env=tool_env(**(env or {})), capture_output=True, text=True, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f'{" ".join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}'
        )
    return proc


def load_tool(path: str | Path) -> ModuleType:
    """The script ``path`` (relative to the repo root, e.g. ``tools/ensemble.py``) as a module, for the tests
    that call its ``main`` or its command-line helpers in-process; the logic it calls is tested through the
    package."""
    path = REPO / path
    spec = importlib.util.spec_from_file_location(f'occlunet_tools_{path.stem}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
