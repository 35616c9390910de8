"""One study: a 3-D tree, its haemodynamics, and the PA + LAT runs with their annotations.

Randomness: ``SeedSequence([seed, index])`` is split into independent streams (geometry, acquisition,
occlusion, haemodynamics, anatomy, X-ray, noise, patient), so a study depends only on (seed, index) - not on
worker count or order - and forcing / disabling the occlusion leaves every other draw unchanged. The patient
stream (two-rate protocol, collateral status) was added in generator 2.0.0 as an eighth child, so the first
seven streams are those of 1.0.0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import cv2
import numpy as np
import scipy.sparse as sp
from pydicom.uid import generate_uid

from .acquisition import ProtocolDraws, frame_times, is_constant_rate, mean_frame_rate
from .anatomy import background_mu
from .arteries import build_arteries
from .collaterals import CollateralDraws
from .config import CATEGORY_ID, SynthParams
from .haemodynamics import Curves, HaemoParams, simulate_curves
from .occlusion import Occlusion, sample_occlusion
from .projection import ViewGeometry, blush_basis, rasterise
from .veins import add_veins
from .vessel_tree import Pieces, VesselTree, make_pieces
from .xray import XrayParams, form_dsa, quantise, unit_noise

VIEWS = ('PA', 'LAT')
STREAMS = 8  # geometry, acquisition, occlusion, haemodynamics, anatomy, X-ray, noise, patient
VISIBLE_FRACTION = 0.25  # an occlusion is 'visible' while the stump / collateral curve is above this share
EPOCH = dt.datetime(2019, 1, 1)


@dataclass
class ViewSimulation:
    geometry: ViewGeometry
    matrix: sp.csr_matrix  # (pixels, pieces) iodine path length (mm) per unit concentration
    iodine: np.ndarray | None = None  # (T, H, W) noise-free iodine mu*L
    dsa: np.ndarray | None = None  # (T, H, W) float32 ln(mask) - ln(frame): iodine positive
    stored: np.ndarray | None = None  # (T, H, W) uint16 MONOCHROME2 stored values (vessels dark)
    bbox: list[float] | None = None  # [x, y, w, h] around the clot, pixels
    primary_angle: float = 0.0
    secondary_angle: float = 0.0
    series_uid: str = ''
    sop_uid: str = ''


@dataclass
class StudySimulation:
    index: int
    seed: int
    params: SynthParams
    study_id: str
    patient_id: str
    study_uid: str
    acquired: dt.datetime
    tree: VesselTree
    pieces: Pieces
    occlusion: Occlusion | None
    curves: Curves
    fps: float  # frame rate of the run (of its first phase for a two-rate run)
    frame_times: np.ndarray  # (T,) s from the first frame
    piece_curves: np.ndarray  # (P, T) concentrations at the frames
    blush_curves: np.ndarray  # (L, T)
    iodine_mu_per_mm: float
    imager_pixel_spacing: float
    magnification: float
    collateral: CollateralDraws | None = None  # the patient's collateral status (grade used if occluded)
    views: dict[str, ViewSimulation] = field(default_factory=dict)
    category: str | None = None  # annotated class (None: no annotated occlusion)
    frame_start: int = -1
    frame_end: int = -1

    @property
    def num_frames(self) -> int:
        return len(self.frame_times)

    @property
    def constant_rate(self) -> bool:
        """True for a constant-rate run (FrameTime), False for a two-rate one (FrameTimeVector)."""
        return is_constant_rate(self.frame_times)

    @property
    def frame_rate(self) -> float:
        """Frames per second of the annotation file: the rate of a constant-rate run, else the mean rate."""
        return float(self.fps) if self.constant_rate else round(mean_frame_rate(self.frame_times), 4)

    @property
    def injection(self) -> str:
        """Catheter position: 'CCA' (common carotid: the ECA fills too) or 'ICA'."""
        return 'CCA' if any(s.name == 'CCA' for s in self.tree.segments) else 'ICA'

    def territory_mask(self, view: str) -> np.ndarray:
        """Pixels (H, W) of the vessels downstream of the clot (empty without an occlusion)."""
        g = self.views[view].geometry
        if self.occlusion is None:
            return np.zeros((g.size, g.size), bool)
        cols = np.flatnonzero(np.isin(self.pieces.seg, self.occlusion.downstream))
        w = np.asarray(self.views[view].matrix[:, cols].sum(axis=1)).reshape(g.size, g.size)
        return w > 0.05

    def video_records(self) -> list[dict]:
        """COCO-VID 'videos' entries (without ids), PA then LAT."""
        n = self.params.size
        return [
            {
                'file_name': f'dicom/{self.study_id}_{v}.dcm',
                'study_id': self.study_id,
                'patient_id': self.patient_id,
                'view': v,
                'width': n,
                'height': n,
                'num_frames': self.num_frames,
                'frame_rate': self.frame_rate,
                'acquired': self.acquired.isoformat(timespec='seconds'),
            }
            for v in VIEWS
        ]

    def annotation_records(self) -> list[dict]:
        """'annotations' entries (without ids, with 'view'); empty for a study without an occlusion."""
        if self.category is None:
            return []
        return [
            {
                'view': v,
                'category_id': CATEGORY_ID[self.category],
                'bbox': list(self.views[v].bbox),
                'frame_start': int(self.frame_start),
                'frame_end': int(self.frame_end),
            }
            for v in VIEWS
        ]


def _uid(seed: int, index: int, *what: str) -> str:
    return str(generate_uid(entropy_srcs=['occlunet-synth', f'seed={seed}', f'study={index}', *what]))


def simulate_study(
    index: int,
    seed: int = 0,
    params: SynthParams | None = None,
    *,
    occlusion: str | None = 'auto',
    apply_occlusion: bool = True,
    render: bool = True,
    xray: bool = True,
) -> StudySimulation:
    """Simulate study ``index`` of the dataset with ``seed``.

    Args:
        occlusion: 'auto' (drawn with ``params.occlusion_fraction`` among ``params.classes``), None (no
            occlusion) or a class name (forced).
        apply_occlusion: False simulates the same study (same tree, clot position, noise, ...) with normal
            haemodynamics: a control for the occluded run. The annotation is then empty.
        render: False skips the images (tree, curves and annotations only; boxes still computed).
        xray: False renders only the noise-free iodine images (``ViewSimulation.iodine``), without X-ray
            formation, noise and quantisation (``dsa`` and ``stored`` stay None).
    """
    p = params or SynthParams()
    geo, acq, occ_rng, hae, anat, xr, noise, pat = (
        np.random.default_rng(s) for s in np.random.SeedSequence([int(seed), int(index)]).spawn(STREAMS)
    )
    # --- occlusion class (drawn first: a cervical ICA clot sets the injection site) ----------------------
    u_occ = occ_rng.random()
    names = [c for c in p.classes]
    weights = np.array([p.class_weights.get(c, 1.0) for c in names], dtype=float)
    drawn = names[int(occ_rng.choice(len(names), p=weights / weights.sum()))]
    cls = (drawn if u_occ < p.occlusion_fraction else None) if occlusion == 'auto' else occlusion
    force_cca = p.cervical_ica_cca_injection and cls == 'ICA_extracranial'

    side = 1 if geo.random() < 0.5 else -1
    tree = build_arteries(geo, p, side, force_cca)
    add_veins(tree, geo, p)

    # --- acquisition --------------------------------------------------------------------------------------
    rates = np.arange(p.fps_min, p.fps_max + 1e-9, p.fps_step) if p.fps_step > 0 else np.array([p.fps_min])
    fps = float(rates[int(acq.integers(len(rates)))])
    times = frame_times(fps, acq.uniform(*p.duration_s), p, ProtocolDraws.sample(pat))
    n_frames = len(times)
    px_mm = acq.uniform(*p.field_of_view_mm) / p.size
    mag = acq.uniform(*p.magnification)
    spacing = px_mm * mag
    centre = tree.head_centre + np.array([acq.normal(0, 5), acq.normal(-8, 5), acq.normal(-22, 5)])
    views = {v: ViewGeometry(v, p.size, px_mm, centre) for v in VIEWS}
    angles = {
        'PA': acq.normal(0.0, p.positioner_jitter_deg / 2),
        'LAT': 90.0 + acq.normal(0.0, p.positioner_jitter_deg / 2),
    }
    secondary = {v: acq.normal(0.0, p.positioner_jitter_deg / 2) for v in VIEWS}
    acquired = EPOCH + dt.timedelta(
        days=int(index), minutes=int(acq.integers(7 * 60, 19 * 60)), seconds=int(acq.integers(60))
    )

    # --- occlusion ----------------------------------------------------------------------------------------
    occ = None
    if cls is not None:
        box_half = 20.0 * p.size / 512.0
        occ = sample_occlusion(tree, occ_rng, p, cls, list(views.values()), box_half + 1.0)
        occ.active = apply_occlusion
    pieces = make_pieces(tree, p.piece_length_mm)

    # --- haemodynamics ------------------------------------------------------------------------------------
    hp = HaemoParams.sample(hae, p)
    hp.collateral = CollateralDraws.sample(pat, p)
    mu_i = hae.uniform(*p.iodine_mu_per_mm)
    low = hae.uniform(*p.low_contrast_factor)
    if occ is not None and occ.low_contrast:
        mu_i *= low
    curves = simulate_curves(tree, pieces, hp, p, occ, float(times[-1]))
    piece_c, blush_c = curves.sample(times)

    sim = StudySimulation(
        index=index,
        seed=seed,
        params=p,
        study_id=f'S{index:04d}',
        patient_id=f'P{index:04d}',
        study_uid=_uid(seed, index, 'study'),
        acquired=acquired,
        tree=tree,
        pieces=pieces,
        occlusion=occ,
        curves=curves,
        fps=fps,
        frame_times=times,
        piece_curves=piece_c,
        blush_curves=blush_c,
        iodine_mu_per_mm=mu_i,
        imager_pixel_spacing=spacing,
        magnification=mag,
        collateral=hp.collateral,
    )
    if occ is not None and occ.active:
        sim.category = occ.cls
        sim.frame_start, sim.frame_end = _visible_frames(sim)

    # --- the two views ------------------------------------------------------------------------------------
    cups = {occ.segment: 0.8 * occ.radius} if occ is not None and occ.active else None
    blush_scale = None
    sigma = anat.uniform(*p.blush_sigma_mm)
    blush_mm = anat.uniform(*p.blush_blood_mm)
    for v in VIEWS:
        g = views[v]
        vs = ViewSimulation(
            g,
            rasterise(tree, pieces, g, cups),
            primary_angle=float(angles[v]),
            secondary_angle=float(secondary[v]),
            series_uid=_uid(seed, index, v, 'series'),
            sop_uid=_uid(seed, index, v, 'sop'),
        )
        if occ is not None:
            vs.bbox = _bbox(g, occ, p.size)
        sim.views[v] = vs
        view_rng = np.random.default_rng(anat.integers(2**63))
        xp = XrayParams.sample(xr, p, px_mm, n_frames, None if sim.constant_rate else times)
        if not render:
            continue
        basis, low_n = blush_basis(tree, list(curves.leaves), g, 4, sigma, view_rng)
        if blush_scale is None:  # mass -> thickness from the PA view, reused for LAT (same pixel size)
            total = basis.sum(axis=0)
            blush_scale = blush_mm / max(float(np.percentile(total, 99.0)), 1e-12)
        n = p.size
        c_vessel = (piece_c * mu_i).astype(np.float32)
        blush_low = (
            ((blush_c.T * (blush_scale * mu_i)) @ basis).astype(np.float32).reshape(n_frames, low_n, low_n)
        )
        iodine = np.empty((n_frames, n, n), np.float32)
        for i in range(n_frames):  # mu*L of iodine: vessels (sparse product) + parenchymal blush (upsampled)
            cv2.resize(blush_low[i], (n, n), dst=iodine[i], interpolation=cv2.INTER_LINEAR)
            iodine[i] += (vs.matrix @ c_vessel[:, i]).reshape(n, n)
        bg = background_mu(tree, g, p, view_rng)
        vs.iodine = iodine
        if not xray:
            continue
        z = unit_noise(noise, (n_frames + 1, p.size, p.size))
        vs.dsa = form_dsa(bg, iodine, xp, z)
        vs.stored = quantise(vs.dsa, p.bits_stored, p.background_level, p.display_gain)
    return sim


def _bbox(g: ViewGeometry, occ: Occlusion, size: int) -> list[float]:
    """Square box around the clot, 20-40 px at 512 px growing with the vessel, inside the frame."""
    scale = size / 512.0
    r512 = occ.radius / g.px_mm / scale
    side = float(np.clip(6.0 * r512, 20.0, 40.0)) * scale
    u, v = g.project(occ.point[None])[0] + 0.5  # pixel centres at .5 in the box convention
    x0, y0 = np.clip(u - side / 2, 0, size), np.clip(v - side / 2, 0, size)
    x1, y1 = np.clip(u + side / 2, 0, size), np.clip(v + side / 2, 0, size)
    return [round(float(x0), 2), round(float(y0), 2), round(float(x1 - x0), 2), round(float(y1 - y0), 2)]


def _visible_frames(sim: StudySimulation) -> tuple[int, int]:
    """Frames in which the occlusion shows: from the opacification of the stump (above VISIBLE_FRACTION of
    its peak) to the later of (a) the last frame with the stump still above that level and (b) the frame in
    which the collateral filling of the downstream bed reaches half its peak (from then on the territory
    looks filled and the lag is no longer visible)."""

    occ, c = sim.occlusion, sim.curves
    stump = sim.pieces.of_segment(occ.segment)[-1]
    on = np.flatnonzero(sim.piece_curves[stump] >= VISIBLE_FRACTION * c.pieces[stump].max())
    if len(on) == 0:
        k = int(np.argmax(sim.piece_curves[stump]))
        return k, k
    end = int(on[-1])
    down = np.isin(sim.pieces.seg, occ.downstream)
    coll = c.collateral[down].mean(axis=0) if down.any() else np.zeros_like(c.t)
    if coll.max() > 1e-6:
        t_half = c.t[int(np.flatnonzero(coll >= 0.5 * coll.max())[0])]
        end = max(end, int(np.searchsorted(sim.frame_times, t_half - 1e-9)))
    return int(on[0]), int(min(end, sim.num_frames - 1))
