"""tools/test.py --time-order end to end on a tiny synthetic split with untrained tiny checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope

from occlunet.synth import generate_dataset

from ..conftest import REPO, run_tool

pytestmark = pytest.mark.slow

# the DICOMs' 64 px as network input (ResizeSequence is step 1 of the configs' own test pipelines), and
# every detection kept so that untrained models have tracks
OPTIONS = [
    '--cfg-options',
    'test_dataloader.dataset.pipeline.1.scale=(64,64)',
    'model.test_cfg.score_thr=0.0',
]


@pytest.fixture(scope='module')
def dsa_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp('time_order')
    generate_dataset(
        root, 2, size=64, seed=1, split=(0.0, 0.0, 1.0), progress=False, frames_min=5, frames_max=6
    )
    return root


def init_checkpoint(config: str, path: Path) -> Path:
    """The config's model with its initial weights (seed 0), saved as a checkpoint."""
    cfg = Config.fromfile(str(REPO / 'configs' / f'{config}.py'))
    with DefaultScope.overwrite_default_scope('mmdet'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def run_test(config: str, ckpt: Path, root: Path, out: Path, *extra: str) -> dict:
    run_tool('tools/test.py', f'configs/{config}.py', ckpt, '--work-dir', out.parent / out.stem,
             '--data-root', root, '--out', out, *extra, *OPTIONS, timeout=600)  # fmt: skip
    return json.loads(out.read_text())


def test_occlunet_results_record_the_shuffle(dsa_root: Path, tmp_path: Path) -> None:
    ckpt = init_checkpoint('occlunet1_dsa_tiny', tmp_path / 'o1.pth')
    doc = run_test('occlunet1_dsa_tiny', ckpt, dsa_root, tmp_path / 'o1_shuffle.json',
               '--time-order', 'shuffle', '--time-seed', '3')  # fmt: skip
    assert (doc['settings']['time_order'], doc['settings']['time_seed']) == ('shuffle', 3)
    videos = json.loads((dsa_root / 'annotations' / 'test.json').read_text())['videos']
    assert doc['num_sequences'] == len(videos) > 0


def test_minip_results_do_not_change_backwards(dsa_root: Path, tmp_path: Path) -> None:
    ckpt = init_checkpoint('yolox_s_minip_dsa_tiny', tmp_path / 'minip.pth')
    forward = run_test('yolox_s_minip_dsa_tiny', ckpt, dsa_root, tmp_path / 'minip.json')
    backward = run_test('yolox_s_minip_dsa_tiny', ckpt, dsa_root, tmp_path / 'minip_reverse.json',
                    '--time-order', 'reverse')  # fmt: skip
    assert 'time_order' not in forward['settings'] and backward['settings']['time_order'] == 'reverse'
    assert backward['metrics'] == forward['metrics']
    assert [s['tracks'] for s in backward['sequences']] == [s['tracks'] for s in forward['sequences']]
