"""Small synthetic datasets shared by the tests of occlunet.synth."""

from __future__ import annotations

from pathlib import Path

import pytest

from occlunet.synth import SynthParams, generate_dataset

#: A short, fixed-rate run long enough for the collateral phase (2 fps x 24 frames = 12 s).
SMALL = dict(size=96, fps_min=2.0, fps_max=2.0, frames_min=24, frames_max=24, two_rate_probability=0.0)


@pytest.fixture(scope='session')
def small_params() -> SynthParams:
    return SynthParams(**SMALL)


@pytest.fixture(scope='session')
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """6 studies at 64 px, most of them occluded."""
    root = tmp_path_factory.mktemp('synth_tiny')
    summary = generate_dataset(
        root, 6, size=64, seed=5, progress=False, frames_min=6, frames_max=8, occlusion_fraction=0.8
    )
    return root, summary
