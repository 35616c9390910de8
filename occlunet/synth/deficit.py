"""How much of an occlusion's filling deficit a MinIP keeps, against the best single frame.

A study is rendered twice from the same (seed, index): occluded, and as its control
(``apply_occlusion=False``: the same tree, clot position and draws with normal flow). In a region (the
vessels downstream of the clot, or the ground-truth box) the deficit of an image is the share of the
control's iodine that is missing: ``1 - iodine_occluded / iodine_control`` summed over the region (both views
together). The MinIP of a DSA run shows the most iodine each pixel ever had, so its deficit compares the
per-pixel maxima over time; the best single frame is the frame with the largest deficit among those where
the control's region holds at least :data:`MIN_CONTROL_FILL` of its peak iodine. 100 %: the region stays
empty; 0 %: it looks normal.
"""

from __future__ import annotations

import math

import numpy as np

from .config import SynthParams
from .study import VIEWS, StudySimulation, simulate_study

#: A frame competes for the best single frame only when the control's region holds at least this share of
#: its peak iodine (before the bolus arrives every ratio is 0 / 0).
MIN_CONTROL_FILL = 0.5
#: A region has a deficit only if the control's MinIP holds at least this much iodine per pixel on average
#: (log attenuation mu*L; a filled distal artery gives ~0.05): a run that ends before the contrast reaches
#: the region gives NaN, not 0 %.
MIN_CONTROL_IODINE = 1e-3
REGIONS = ('territory', 'box')


def deficit_shares(occluded: np.ndarray, control: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """(MinIP deficit, best-frame deficit) of iodine images in a region; NaN when the control has no iodine.

    Args:
        occluded: noise-free iodine images of the occluded run, one run per view.
        control: the same of the control run.
        mask: the region, per view.

    Shape:
        occluded, control: (V, T, H, W); mask: (V, H, W) bool -> two floats.
    """
    weights = mask[:, None].astype(np.float64)  # (V, 1, H, W)
    per_frame_o = (occluded * weights).sum(axis=(0, 2, 3))  # (T,)
    per_frame_c = (control * weights).sum(axis=(0, 2, 3))  # (T,)
    minip_o = float((occluded.max(axis=1) * mask).sum())
    minip_c = float((control.max(axis=1) * mask).sum())
    if minip_c <= MIN_CONTROL_IODINE * max(int(mask.sum()), 1):
        return math.nan, math.nan
    frames = per_frame_c >= MIN_CONTROL_FILL * per_frame_c.max()
    best = float(np.max(1.0 - per_frame_o[frames] / per_frame_c[frames]))
    return 1.0 - minip_o / minip_c, best


def box_mask(bbox: list[float], size: int) -> np.ndarray:
    """Pixels (H, W) whose centres (j + 0.5, i + 0.5) lie in the box [x, y, w, h]."""
    x, y, w, h = bbox
    centres = np.arange(size) + 0.5
    cols = (centres >= x) & (centres <= x + w)
    rows = (centres >= y) & (centres <= y + h)
    return rows[:, None] & cols[None, :]


def study_deficits(occluded: StudySimulation, control: StudySimulation) -> dict[str, dict[str, float]]:
    """``{'territory' | 'box': {'minip': share, 'best_frame': share}}`` of a rendered pair (iodine kept)."""
    occ_iodine = np.stack([occluded.views[v].iodine for v in VIEWS])  # (V, T, H, W)
    ctl_iodine = np.stack([control.views[v].iodine for v in VIEWS])
    size = occluded.params.size
    masks = {
        'territory': np.stack([occluded.territory_mask(v) for v in VIEWS]),
        'box': np.stack([box_mask(occluded.views[v].bbox, size) for v in VIEWS]),
    }
    out = {}
    for region in REGIONS:
        minip, best = deficit_shares(occ_iodine, ctl_iodine, masks[region])
        out[region] = {'minip': minip, 'best_frame': best}
    return out


def render_control(index: int, seed: int, params: SynthParams) -> StudySimulation:
    """The control run of study ``index``: the same draws with normal flow, noise-free iodine images only."""
    return simulate_study(index, seed, params, apply_occlusion=False, xray=False)


def paired_deficits(index: int, seed: int, params: SynthParams) -> dict[str, dict[str, float]] | None:
    """Re-simulate study ``index`` occluded and as its control (iodine only) and measure its deficits;
    None for a study without an annotated occlusion."""
    occluded = simulate_study(index, seed, params, xray=False)
    if occluded.category is None:
        return None
    return study_deficits(occluded, render_control(index, seed, params))
