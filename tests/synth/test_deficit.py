"""The deficit a MinIP keeps vs the best single frame: hand-made known answers, and a rendered pair."""

from __future__ import annotations

import math

import numpy as np
import pytest

from occlunet.synth import SynthParams, deficit_shares, paired_deficits
from occlunet.synth.deficit import box_mask


def _runs(occluded_frames: list[float], control_frames: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """One view, 2x2 pixels: each frame's value fills every pixel."""
    occ = np.array(occluded_frames, dtype=np.float32)[None, :, None, None] * np.ones((1, 1, 2, 2), np.float32)
    ctl = np.array(control_frames, dtype=np.float32)[None, :, None, None] * np.ones((1, 1, 2, 2), np.float32)
    return occ, ctl


def test_late_complete_filling_hides_the_deficit_from_the_minip():
    occ, ctl = _runs([0, 0, 0, 1, 1], [0, 1, 1, 1, 0])  # the occluded bed fills two frames late, fully
    minip, best = deficit_shares(occ, ctl, np.ones((1, 2, 2), bool))
    assert minip == pytest.approx(0.0) and best == pytest.approx(1.0)


def test_empty_bed_keeps_the_whole_deficit_and_partial_filling_part_of_it():
    mask = np.ones((1, 2, 2), bool)
    assert deficit_shares(*_runs([0, 0, 0], [0, 1, 1]), mask) == pytest.approx((1.0, 1.0))
    minip, best = deficit_shares(*_runs([0, 0.25, 0.5], [0, 1, 0.5]), mask)
    assert minip == pytest.approx(0.5) and best == pytest.approx(0.75)  # frame 1; frame 2 shows none
    assert all(math.isnan(x) for x in deficit_shares(*_runs([0, 1], [0, 0]), mask))


def test_only_the_region_counts():
    occ, ctl = _runs([0, 1], [0, 1])
    occ[0, :, 0, 0] = 0.0  # one pixel of four never fills
    mask = np.zeros((1, 2, 2), bool)
    assert deficit_shares(occ, ctl, mask | True) == pytest.approx((0.25, 0.25))
    mask[0, 0, 0] = True
    assert deficit_shares(occ, ctl, mask) == pytest.approx((1.0, 1.0))


def test_box_mask_uses_pixel_centres():
    m = box_mask([1.0, 0.0, 2.0, 1.0], 4)
    assert m.shape == (4, 4) and m.sum() == 2 and m[0, 1] and m[0, 2] and not m[1].any()


def test_paired_render_of_an_occluded_study():
    p = SynthParams(size=48, fps_min=2.0, fps_max=2.0, frames_min=12, frames_max=12, occlusion_fraction=1.0)
    found = paired_deficits(0, 3, p)
    assert set(found) == {'territory', 'box'}
    for region in found.values():
        assert all(-1.0 <= share <= 1.0 for share in region.values())
    territory = found['territory']
    assert 0.0 < territory['minip'] <= territory['best_frame'] <= 1.0
    assert paired_deficits(0, 3, p.replace(occlusion_fraction=0.0)) is None
