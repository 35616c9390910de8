"""Random numbers for the augmentations, reproducible under mmengine's seeding.

mmengine seeds numpy's global state (``randomness=dict(seed=...)`` in the runner, and a different seed in
every DataLoader worker). Each random transform call takes a fresh ``np.random.Generator`` seeded from that
state, so the augmentations follow the runner's seed without sharing one Generator across processes.
"""

from __future__ import annotations

import numpy as np

SEED_BOUND = 2**63 - 1


def sample_rng() -> np.random.Generator:
    """A Generator for one transform call, seeded from numpy's global (mmengine-seeded) state."""
    return np.random.default_rng(np.random.randint(0, SEED_BOUND, dtype=np.int64))  # noqa: NPY002


def check_prob(name: str, prob: float) -> float:
    """``prob`` if it is a probability, else a ValueError naming the transform."""
    if not 0.0 <= prob <= 1.0:
        raise ValueError(f'{name}: prob must be in [0, 1], got {prob}')
    return float(prob)
