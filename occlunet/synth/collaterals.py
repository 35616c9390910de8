"""Collateral filling of the bed downstream of a clot: leptomeningeal retrograde filling and, for cervical
ICA occlusions, reconstitution of the siphon through ECA -> ophthalmic anastomoses.

Retrograde (leptomeningeal) filling: every non-perforator piece of the downstream bed gets a gamma variate
with ``t0 = t_src + delay + d / v_retro``, ``beta = beta_src * broadening`` and ``peak = ratio * share *
peak_src * exp(-d / decay)`` (``d``: retrograde path from the nearest cortical tip; ``t_src``, ``beta_src``,
``peak_src``: earliest arrival, mean width and mean peak at the opacified source leaves). Two models set
``delay``, ``ratio`` and ``decay``:

* ``'graded'``: a per-study ASITN/SIR grade 0-4 (Higashida et al. 2003), drawn from the IMS III distribution,
  picks their ranges (``SynthParams.collateral_grade_*``): how fast, how strongly and how far the bed fills.
  ``share`` is the opacified share of the collateral supply: the territories that feed this class's
  collaterals (``Occlusion.sources``) count equally, and one without an opacified source leaf (a PCA fed by
  the basilar artery, an ACA fed across the ACom, an ECA without a CCA injection) brings unopacified blood.
* ``'class'`` (generator 1.0.0): per-class ranges, ``share = 1``.

Reconstitution (``'graded'`` only, cervical ICA occlusion with ECA -> ophthalmic collaterals): the ophthalmic
artery fills backwards from the periorbital ECA branches and the intracranial ICA from its origin onwards
fills antegradely with the ordinary transit times, late (``reconstitution_delay_s``) and faint
(``reconstitution_fraction``: the circle of Willis brings most of the flow unopacified).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import SynthParams
from .occlusion import Occlusion
from .vessel_tree import Pieces, VesselTree

#: ECA branches with periorbital anastomoses to the ophthalmic artery (angular, infraorbital, supraorbital).
PERIORBITAL_ECA = ('ECA_facial', 'ECA_IMAX_distal', 'ECA_STA_front')
#: Territories whose pieces never receive retrograde filling.
NO_RETROGRADE = ('deep', 'ECA', 'CCA')


@dataclass
class CollateralDraws:
    """A patient's collateral status, drawn for every study (occluded or not: a control run of the same
    study sees the same numbers).

    Args:
        grade: ASITN/SIR collateral grade 0-4 (used by the ``'graded'`` model).
        eca_ophthalmic: ECA -> ophthalmic anastomoses would reconstitute the siphon behind a cervical clot.
        reconstitution_delay: s from the periorbital ECA branches to the ophthalmic origin.
        reconstitution_fraction: opacified share of the reconstituted intracranial flow.
    """

    grade: int
    eca_ophthalmic: bool
    reconstitution_delay: float
    reconstitution_fraction: float

    @classmethod
    def sample(cls, rng: np.random.Generator, p: SynthParams) -> CollateralDraws:
        """Always four draws from ``rng``, whatever the parameters."""
        weights = np.asarray(p.collateral_grade_weights, dtype=float)
        grade = int(rng.choice(len(weights), p=weights / weights.sum()))
        eca_ophthalmic = bool(rng.random() < p.eca_ophthalmic_probability)
        return cls(
            grade=grade,
            eca_ophthalmic=eca_ophthalmic,
            reconstitution_delay=float(rng.uniform(*p.reconstitution_delay_s)),
            reconstitution_fraction=float(rng.uniform(*p.reconstitution_fraction)),
        )


def _lerp(pair, u: float) -> float:
    return pair[0] + u * (pair[1] - pair[0])


def retrograde_numbers(p: SynthParams, cls: str, grade: int, q: np.ndarray) -> dict[str, float]:
    """Delay, peak ratio, broadening, retrograde velocity and decay length from the quantiles ``q`` (5,)."""
    if p.collateral_model == 'class':
        delay, ratio = p.collateral_delay_s[cls], p.collateral_peak_ratio[cls]
        decay = p.retrograde_decay_mm
    else:
        delay, ratio = p.collateral_grade_delay_s[grade], p.collateral_grade_ratio[grade]
        decay = p.collateral_grade_decay_mm[grade]
    return {
        'delay': _lerp(delay, q[0]),
        'ratio': _lerp(ratio, q[1]),
        'broadening': _lerp(p.collateral_broadening, q[2]),
        'velocity': _lerp(p.retrograde_velocity_mm_s, q[3]),
        'decay': _lerp(decay, q[4]),
    }


def _distance_to_tips(tree: VesselTree, ids: list[int]) -> dict[int, float]:
    """Path length from each segment's distal end to the nearest terminal artery below it."""
    out: dict[int, float] = {}
    for sid in sorted(ids, key=lambda s: -len(tree.ancestors(s))):  # deepest first
        ch = tree.segments[sid].children
        out[sid] = min((tree.segments[c].length + out[c] for c in ch), default=0.0)
    return out


def _last_piece(pieces: Pieces, sid: int) -> int:
    return int(pieces.first[sid] + len(pieces.of_segment(sid)) - 1)


def retrograde_filling(
    tree: VesselTree,
    pieces: Pieces,
    occ: Occlusion,
    arrival: np.ndarray,
    beta: np.ndarray,
    peak: np.ndarray,
    numbers: dict[str, float],
    graded: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Per-piece gamma-variate parameters (t0, beta, peak) of the retrograde filling, and an info dict.

    Args:
        arrival: (P,) antegrade arrival times with the occlusion (inf downstream).
        beta, peak: (P,) antegrade gamma widths and peaks.
        numbers: :func:`retrograde_numbers`.
        graded: scale the peaks by the opacified share of the supplying territories.

    Shape:
        outputs: (P,), (P,), (P,); pieces without filling have t0 = inf, beta 1, peak 0.
    """
    n = len(pieces)
    segs = tree.segments
    t0, width, height = np.full(n, np.inf), np.ones(n), np.zeros(n)
    downstream = set(occ.downstream)
    src = [s for s in tree.leaves('artery') if segs[s].territory in occ.sources and s not in downstream]
    src_pieces = [i for i in (_last_piece(pieces, s) for s in src) if np.isfinite(arrival[i])]
    info = {
        'collateral_delay': numbers['delay'],
        'collateral_ratio': numbers['ratio'],
        'collateral_sources': len(src_pieces),
    }
    share = 1.0
    if graded:
        opacified = {segs[pieces.seg[i]].territory for i in src_pieces}
        share = len(opacified & set(occ.sources)) / max(len(occ.sources), 1)
        info['collateral_opacified_share'] = share
    if not src_pieces or numbers['ratio'] <= 0 or share <= 0:
        return t0, width, height, info
    t_src = float(np.min(arrival[src_pieces]))
    b_src = float(np.mean(beta[src_pieces]))
    p_src = float(np.mean(peak[src_pieces]))
    tip = _distance_to_tips(tree, occ.downstream)
    down = np.isin(pieces.seg, occ.downstream)
    target = down & np.array([segs[s].territory not in NO_RETROGRADE for s in pieces.seg])
    for i in np.flatnonzero(target):
        sid = pieces.seg[i]
        d = segs[sid].length - pieces.s_mid[i] + tip[sid]
        t0[i] = t_src + numbers['delay'] + d / numbers['velocity']
        width[i] = b_src * numbers['broadening']
        height[i] = numbers['ratio'] * p_src * np.exp(-d / numbers['decay'])
        if graded:
            height[i] *= share
    info['collateral_t0'] = t_src + numbers['delay']
    return t0, width, height, info


def reconstitution(
    tree: VesselTree,
    pieces: Pieces,
    free_arrival: np.ndarray,
    arrival: np.ndarray,
    beta: np.ndarray,
    peak: np.ndarray,
    draws: CollateralDraws,
    broadening: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Gamma-variate parameters of the siphon's reconstitution through the ophthalmic artery.

    Args:
        free_arrival: (P,) antegrade arrival times without the occlusion (transit times along the tree).
        arrival: (P,) arrival times with the occlusion (the ECA branches keep theirs).
        beta, peak: (P,) antegrade gamma widths and peaks.

    Shape:
        outputs: (P,) t0, beta, peak (t0 = inf: not reconstituted).
    """
    n = len(pieces)
    t0, width, height = np.full(n, np.inf), np.ones(n), np.zeros(n)
    names = {s.name: s.sid for s in tree.arteries()}
    eca = [names[k] for k in PERIORBITAL_ECA if k in names]
    eca_pieces = [i for i in (_last_piece(pieces, s) for s in eca) if np.isfinite(arrival[i])]
    if not eca_pieces or 'OPH' not in names or 'ICA_C6' not in names:
        return t0, width, height, {}
    junction = float(np.min(arrival[eca_pieces])) + draws.reconstitution_delay  # contrast at the OPH origin
    oph = pieces.of_segment(names['OPH'])
    t0[oph] = junction - (free_arrival[oph] - free_arrival[oph[0]])  # backwards: the orbital end first
    siphon = np.flatnonzero(np.isin(pieces.seg, tree.subtree(names['ICA_C6'])))
    t0[siphon] = junction + (free_arrival[siphon] - free_arrival[pieces.of_segment(names['ICA_C6'])[0]])
    filled = np.concatenate([oph, siphon])
    width[filled] = beta[filled] * broadening
    height[filled] = draws.reconstitution_fraction * peak[filled]
    return t0, width, height, {'reconstitution_t0': junction}
