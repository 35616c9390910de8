"""Contrast transport: bolus arrival, gamma-variate time-density curves, occlusion, collaterals, veins.

* Arterial input (catheter tip): gamma variate C(t) = K (t - t0)^alpha exp(-(t - t0) / beta) (Thompson et
  al. 1964; Madsen 1992), parameterised by its peak (1 = undiluted bolus peak) and time to peak alpha*beta.
* Every arterial piece sees the input delayed by its transit time (integral of ds / v along the tree, with
  v ~ r by Murray's law: Q ~ r^3, v = Q / (pi r^2)) and dispersed: beta grows as sqrt(1 + L / L_d) with path
  length L while the area (indicator mass) is kept, so peaks fall distally.
* Occlusion: no antegrade flow downstream of the clot; contrast stagnates in the stump (slow washout);
  the downstream bed fills by collaterals (:mod:`.collaterals`): retrogradely from the source territories,
  late (collateral delay + retrograde path / slow velocity), lower and broader (Liebeskind 2003), graded by
  the study's ASITN/SIR collateral grade; behind a cervical ICA clot also through ECA -> ophthalmic
  reconstitution of the siphon.
* Capillary bed of each terminal artery (indicator dilution, Meier & Zierler 1954): tissue curve
  (C_a * R)(t) / MTT with residue R = 1 - H of a gamma transit-time distribution h; venous outflow C_a * h.
* Veins mix their inputs flow-weighted (cortical veins -> sinuses, diluted by unopacified inflow).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import fftconvolve
from scipy.stats import gamma as gamma_dist

from .collaterals import CollateralDraws, reconstitution, retrograde_filling, retrograde_numbers
from .config import SynthParams
from .occlusion import Occlusion
from .veins import venous_order
from .vessel_tree import Pieces, VesselTree

DT = 0.04  # s, grid of the curves
VEIN_VELOCITY = 120.0  # mm/s


def gamma_variate(t: np.ndarray, t0, alpha, beta, peak) -> np.ndarray:
    """Gamma variate normalised to its peak value ``peak`` at t0 + alpha * beta (broadcasts)."""
    t, t0, alpha, beta, peak = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (t, t0, alpha, beta, peak))
    )
    x = np.maximum(t - t0, 0.0)
    with np.errstate(divide='ignore', invalid='ignore'):
        log = alpha * np.log(x / (alpha * beta)) + alpha - x / beta
    out = np.where(x > 0, peak * np.exp(np.minimum(log, 50.0)), 0.0)
    return np.where(np.isfinite(t0), out, 0.0)


@dataclass
class HaemoParams:
    """Per-study draws; the collateral numbers are drawn as quantiles so the draw count never depends on
    the occlusion (a control run of the same study sees the same numbers)."""

    t_inj: float
    alpha: float
    beta0: float
    v_root: float
    mtt: float
    venous_delay: float
    washout: float
    coll_q: np.ndarray  # quantiles for delay, ratio, broadening, retro velocity, retro decay
    collateral: CollateralDraws | None = None  # the patient's collateral status (set by the study)

    @classmethod
    def sample(cls, rng: np.random.Generator, p: SynthParams) -> HaemoParams:
        return cls(
            t_inj=rng.uniform(*p.bolus_arrival_s),
            alpha=rng.uniform(*p.aif_alpha),
            beta0=rng.uniform(*p.aif_beta_s),
            v_root=rng.uniform(*p.ica_velocity_mm_s),
            mtt=rng.uniform(*p.capillary_mtt_s),
            venous_delay=rng.uniform(*p.venous_delay_s),
            washout=rng.uniform(*p.stump_washout_factor),
            coll_q=rng.random(5),
        )


@dataclass
class Curves:
    t: np.ndarray  # (G,) s
    pieces: np.ndarray  # (P, G) concentration relative to the bolus peak (antegrade + collateral)
    collateral: np.ndarray  # (P, G) collateral part
    arrival: np.ndarray  # (P,) antegrade arrival time t0 (inf: no antegrade flow)
    leaves: np.ndarray  # (L,) terminal artery ids with a capillary bed
    blush: np.ndarray  # (L, G) tissue curve of each capillary bed
    info: dict = field(default_factory=dict)

    def sample(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Piece and blush curves at the frame times: (P, T), (L, T)."""
        return _interp_rows(self.pieces, self.t, times), _interp_rows(self.blush, self.t, times)


def _interp_rows(a: np.ndarray, t: np.ndarray, q: np.ndarray) -> np.ndarray:
    pos = np.clip((np.asarray(q) - t[0]) / (t[1] - t[0]), 0, len(t) - 1.000001)
    i = pos.astype(int)
    f = pos - i
    return a[:, i] * (1 - f) + a[:, i + 1] * f


def _shift(c: np.ndarray, t: np.ndarray, delay: float) -> np.ndarray:
    return np.interp(t - delay, t, c, left=0.0)


def simulate_curves(
    tree: VesselTree, pieces: Pieces, hp: HaemoParams, p: SynthParams, occ: Occlusion | None, t_end: float
) -> Curves:
    t = np.arange(0.0, t_end + 4 * DT, DT)
    n = len(pieces)
    segs = tree.segments
    # --- transit times and path lengths along the arterial tree ---------------------------------------
    r_ref = next((s.radius for s in segs if s.name == 'ICA_cervical'), segs[tree.root].radius)
    tau0, path0, vel = {}, {}, {}
    for sid in tree.topological('artery'):
        s = segs[sid]
        vel[sid] = max(hp.v_root * s.radius / r_ref, p.min_velocity_mm_s)
        if s.parent >= 0:
            tau0[sid] = tau0[s.parent] + segs[s.parent].length / vel[s.parent]
            path0[sid] = path0[s.parent] + segs[s.parent].length
        else:
            tau0[sid], path0[sid] = 0.0, 0.0
    art = np.array([segs[s].kind == 'artery' for s in pieces.seg])
    t0 = np.full(n, np.inf)
    beta = np.full(n, hp.beta0)
    path = np.zeros(n)
    for i in np.flatnonzero(art):
        sid = pieces.seg[i]
        t0[i] = hp.t_inj + tau0[sid] + pieces.s_mid[i] / vel[sid]
        path[i] = path0[sid] + pieces.s_mid[i]
    beta[art] = hp.beta0 * np.sqrt(1.0 + path[art] / p.dispersion_length_mm)
    peak = np.where(art, hp.beta0 / beta, 0.0)
    info = {'t_inj': hp.t_inj, 'alpha': hp.alpha, 'beta0': hp.beta0, 'v_root': hp.v_root, 'mtt': hp.mtt}

    # --- occlusion: no antegrade flow downstream, stagnant stump, collateral filling ----------------------
    coll_t0 = np.full(n, np.inf)
    coll_beta = np.ones(n)
    coll_peak = np.zeros(n)
    extra = None  # reconstitution: (t0, beta, peak) of a second collateral inflow
    if occ is not None and occ.active:
        free_t0 = t0.copy()
        down = np.isin(pieces.seg, occ.downstream)
        t0[down] = np.inf
        stump = pieces.seg == occ.segment
        beta[stump] *= hp.washout
        grade = hp.collateral.grade if hp.collateral is not None else 0
        numbers = retrograde_numbers(p, occ.cls, grade, hp.coll_q)
        graded = p.collateral_model == 'graded'
        coll_t0, coll_beta, coll_peak, coll_info = retrograde_filling(
            tree, pieces, occ, t0, beta, peak, numbers, graded
        )
        info.update(coll_info)
        if graded:
            info['collateral_grade'] = grade
        draws = hp.collateral
        if graded and occ.cls == 'ICA_extracranial' and draws is not None and draws.eca_ophthalmic:
            *extra, rec_info = reconstitution(
                tree, pieces, free_t0, t0, beta, peak, draws, numbers['broadening']
            )
            info.update(rec_info)
    ante = gamma_variate(t[None, :], t0[:, None], hp.alpha, beta[:, None], peak[:, None])
    coll = gamma_variate(t[None, :], coll_t0[:, None], hp.alpha, coll_beta[:, None], coll_peak[:, None])
    if extra is not None:  # a second, independent inflow into the same bed
        rec_t0, rec_beta, rec_peak = (a[:, None] for a in extra)
        coll = coll + gamma_variate(t[None, :], rec_t0, hp.alpha, rec_beta, rec_peak)
    curves = ante + coll

    # --- capillary beds and veins ------------------------------------------------------------------------
    leaves = np.array(tree.leaves('artery'))
    last = np.array([pieces.first[s] + len(pieces.of_segment(s)) - 1 for s in leaves])
    k = p.capillary_shape
    h = gamma_dist.pdf(t, k, scale=hp.mtt / k) * DT  # transit-time distribution (sums to ~1)
    residue = 1.0 - np.cumsum(h)
    c_in = curves[last]
    blush = fftconvolve(c_in, residue[None, :], axes=1)[:, : len(t)] * DT / hp.mtt
    outflow = np.maximum(fftconvolve(c_in, h[None, :], axes=1)[:, : len(t)], 0.0)
    leaf_row = {int(s): j for j, s in enumerate(leaves)}
    flow_of = {int(s): segs[s].radius ** 3 for s in leaves}
    vein_c, vein_w = {}, {}
    for vid in venous_order(tree):
        v = segs[vid]
        num, w_in, w_local = np.zeros_like(t), 0.0, 0.0
        for s in v.drains:
            num += flow_of[s] * _shift(outflow[leaf_row[s]], t, hp.venous_delay)
            w_in += flow_of[s]
            w_local += flow_of[s]
        for c in v.children:
            num += vein_w[c] * _shift(vein_c[c], t, segs[c].length / VEIN_VELOCITY)
            w_in += vein_w[c]
            if segs[c].dilution >= 1.0:
                w_local += vein_w[c]
        w_tot = w_in + (1.0 / v.dilution - 1.0) * w_local
        vein_c[vid] = num / w_tot if w_tot > 0 else num
        vein_w[vid] = w_tot
        for i in pieces.of_segment(vid):
            curves[i] = _shift(vein_c[vid], t, pieces.s_mid[i] / VEIN_VELOCITY)
    return Curves(
        t=t,
        pieces=curves.astype(np.float32),
        collateral=coll.astype(np.float32),
        arrival=t0,
        leaves=leaves,
        blush=blush.astype(np.float32),
        info=info,
    )
