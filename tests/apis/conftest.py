"""Fixtures for the inference API: a one-study synthetic DSA set (64 px) and untrained tiny checkpoints."""

from __future__ import annotations

from pathlib import Path

import pytest

from occlunet.synth import generate_dataset

from .degenerate_runs import save_checkpoint

REPO = Path(__file__).resolve().parents[2]
OCCLUNET_CONFIG = REPO / 'configs' / 'occlunet1_dsa_tiny.py'
MINIP_CONFIG = REPO / 'configs' / 'yolox_s_minip_dsa_tiny.py'
# 64 px network input (the DICOMs' size) and every detection kept, so that tracks exist untrained
FAST_OPTIONS = {
    'test_dataloader.dataset.pipeline.1.scale': (64, 64),
    'model.test_cfg.score_thr': 0.0,
    'model.tracker.score_thr': 0.0,
}


def save_init_checkpoint(config: Path, path: Path, seed: int = 0) -> Path:
    """The config's model with its initial weights, saved as a checkpoint ``load_checkpoint`` reads."""
    return save_checkpoint(config, path, seed=seed)


@pytest.fixture(scope='session')
def dsa_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One occluded study: dicom/S0000_PA.dcm and dicom/S0000_LAT.dcm (64 px, 5-6 frames)."""
    root = tmp_path_factory.mktemp('apis_dsa')
    generate_dataset(
        root, 1, size=64, seed=0, progress=False, frames_min=5, frames_max=6, occlusion_fraction=1.0
    )
    return root


@pytest.fixture(scope='session')
def dicom_paths(dsa_root: Path) -> list[Path]:
    return sorted((dsa_root / 'dicom').glob('*.dcm'))


@pytest.fixture(scope='session')
def occlunet_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_init_checkpoint(OCCLUNET_CONFIG, tmp_path_factory.mktemp('ckpt') / 'occlunet1_tiny.pth')


@pytest.fixture(scope='session')
def inferencer(occlunet_ckpt: Path):
    from occlunet.apis import SequenceInferencer

    return SequenceInferencer(OCCLUNET_CONFIG, occlunet_ckpt, score_thr=0.0, cfg_options=FAST_OPTIONS)
