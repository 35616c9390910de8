"""A random 3-D cerebral arterial tree of one injected hemisphere.

Course (LPS mm; s = +1 left / -1 right hemisphere): cervical ICA -> petrous -> cavernous siphon ->
ophthalmic / communicating segments (ophthalmic artery, optional PCom + PCA, anterior choroidal) -> carotid
terminus -> M1 (lenticulostriate perforators, optional early temporal branch) -> 2-3 M2 trunks over the
insula -> M3 opercular loops -> M4/M5 cortical branches over the convexity; A1 -> A2 / pericallosal with
medial cortical branches. With a common-carotid injection the ECA and its branches (decoys) fill too.
Dimensions follow standard angiographic anatomy (e.g. Osborn, *Diagnostic Cerebral Angiography*).
"""

from __future__ import annotations

import numpy as np

from .config import SynthParams
from .geom import ellipsoid_point, meander, resample, smooth_curve, surface_arc
from .vessel_tree import Segment, VesselTree


class _Builder:
    def __init__(self, tree: VesselTree, rng: np.random.Generator, p: SynthParams, tort: float):
        self.tree, self.rng, self.p, self.tort = tree, rng, p, tort
        self.step = p.sample_step_mm

    def add(
        self, name, ctrl, parent=-1, territory='MCA', tort=1.0, wavelength=(10.0, 25.0), leaf=None
    ) -> int:
        ctrl = np.asarray(ctrl, dtype=np.float64)
        if parent >= 0:
            ctrl = np.vstack([self.tree.segments[parent].points[-1], ctrl])
        pts = smooth_curve(ctrl, self.step, self.rng, self.tort * tort, wavelength)
        return self.add_points(name, pts, parent, territory, leaf)

    def add_points(self, name, pts, parent=-1, territory='MCA', leaf=None) -> int:
        if parent >= 0:
            pts = np.vstack([self.tree.segments[parent].points[-1], pts[1:]])
        leaf_r = leaf if leaf is not None else self.rng.uniform(*self.p.leaf_radius_mm)
        return self.tree.add(Segment(-1, name, pts, parent=parent, territory=territory, leaf_radius=leaf_r))

    def chain(self, names, ctrl, parent, territory, cuts, tort=1.0) -> list[int]:
        """One smooth curve through ``ctrl`` cut into consecutive segments at the control points ``cuts``."""
        ctrl = np.asarray(ctrl, dtype=np.float64)
        if parent >= 0:
            ctrl = np.vstack([self.tree.segments[parent].points[-1], ctrl])
            cuts = [c + 1 for c in cuts]
        pts = smooth_curve(ctrl, self.step, self.rng, self.tort * tort)
        idx = [0, *[int(np.argmin(np.linalg.norm(pts - ctrl[c], axis=1))) for c in cuts], len(pts) - 1]
        ids = []
        for name, a, b in zip(names, idx[:-1], idx[1:]):
            parent = self.add_points(name, pts[a : b + 1], parent, territory)
            ids.append(parent)
        return ids

    def jit(self, *xyz, sd=2.0) -> np.ndarray:
        return np.asarray(xyz, dtype=np.float64) + self.rng.normal(0.0, sd, 3)


def build_arteries(
    rng: np.random.Generator, p: SynthParams, side: int, force_cca: bool = False
) -> VesselTree:
    """The arterial tree of the injected hemisphere; ``force_cca`` makes it a common-carotid injection (the
    draw is made either way, so the rest of the tree does not change)."""
    s = side
    centre = np.array([0.0, 5.0, 15.0]) + rng.normal(0, [0.0, 3.0, 3.0])
    skull = np.array([72.0, 92.0, 80.0]) * rng.uniform(0.95, 1.05, 3)
    thick = rng.uniform(5.0, 7.5)
    brain = skull - thick - 2.0
    tree = VesselTree([], side, centre, skull, thick, brain)
    b = _Builder(tree, rng, p, rng.uniform(*p.tortuosity_mm))
    J = b.jit
    step_leaf = p.sample_step_mm

    # --- carotid: optional CCA + ECA, then the ICA to the terminus ---------------------------------------
    cca = bool(rng.random() < p.cca_injection_probability) or force_cca
    parent = -1
    if cca:
        parent = b.add('CCA', [J(s * 30, 16, -155), J(s * 30, 15, -118, sd=1.5)], territory='CCA', tort=0.3)
    start = [] if cca else [J(s * 29, 14, -120)]
    term = J(s * 19, -8, 0, sd=1.5)
    ica = b.chain(
        ['ICA_cervical', 'ICA_petrous', 'ICA_cavernous'],
        [
            *start,
            J(s * 28, 15, -85, sd=3),
            J(s * 27, 12, -52),
            J(s * 25, 8, -44),
            J(s * 22, -2, -38),
            J(s * 18, -12, -33),
            J(s * 17, -15, -27),
            J(s * 16, -20, -22),
            J(s * 16, -27, -19),
            J(s * 17, -31, -12),
        ],
        parent,
        'ICA',
        [len(start) + 1, len(start) + 4],
        tort=0.8,
    )
    cav = ica[-1]
    c6 = b.add('ICA_C6', [J(s * 18, -28, -6, sd=1.5), J(s * 18.5, -21, -4, sd=1.5)], cav, 'ICA', tort=0.3)
    c7a = b.add('ICA_C7a', [J(s * 19, -15, -2, sd=1)], c6, 'ICA', tort=0.2)
    c7b = b.add('ICA_C7b', [term], c7a, 'ICA', tort=0.2)
    b.add(
        'OPH',
        [J(s * 18, -36, -10), J(s * 24, -48, -7), J(s * 28, -62, -9)],
        cav,
        'OPH',
        0.5,
        leaf=rng.uniform(0.55, 0.75),
    )
    b.add(
        'AChA',
        [J(s * 23, -8, -2), J(s * 28, 5, 2), J(s * 27, 20, 10)],
        c7a,
        'deep',
        0.6,
        leaf=rng.uniform(*p.perforator_radius_mm),
    )
    if cca:
        _eca(b, tree.segments[0].sid, s)
    if rng.random() < p.pcom_probability:
        _pcom_pca(b, c6, s, centre, brain)

    # --- MCA -----------------------------------------------------------------------------------------
    bif = J(s * 42, -12, 4, sd=3)
    m1_ctrl = [J(s * 26, -10, 1, sd=1), J(s * 33, -11, 2, sd=1), bif]
    m1 = b.chain(['M1a', 'M1b', 'M1c'], m1_ctrl, c7b, 'MCA', [0, 1], tort=0.4)
    for k, seg in enumerate(m1[:2]):
        p0 = tree.segments[seg].points[-1]
        for j in range(rng.integers(2, 4)):
            dy = rng.normal(0, 5)
            b.add(
                f'LSA_{k}{j}',
                [p0 + [-s * rng.uniform(2, 5), dy, 10], p0 + [-s * rng.uniform(4, 9), 1.3 * dy, 24]],
                seg,
                'deep',
                0.3,
                (5, 10),
                leaf=rng.uniform(*p.perforator_radius_mm),
            )
    if rng.random() < p.anterior_temporal_probability:
        tip = ellipsoid_point(centre, brain, s, rng.uniform(22, 32), rng.uniform(-45, -20), 0.95)
        b.add('ATA', [J(s * 50, -22, -6), tip], m1[0], 'MCA', 0.8, (6, 14))
    ins_c = np.array([s * rng.uniform(34, 38), centre[1] - 7, centre[2] - 1]) + rng.normal(0, 2, 3)
    ins_r = np.array([rng.uniform(20, 26), rng.uniform(14, 18)])

    def insula(psi, shrink=1.0, dx=0.0):
        a = np.radians(psi)
        return ins_c + [s * dx, -shrink * ins_r[0] * np.cos(a), shrink * ins_r[1] * np.sin(a)]

    trunks = 3 if rng.random() < p.trifurcation_probability else 2
    edges = np.linspace(-35, 250, trunks + 1) + rng.normal(0, 6, trunks + 1)
    genu = insula(rng.uniform(-40, -20), 0.75, dx=3.0)
    for k in range(trunks):
        lo, hi = edges[k], edges[k + 1]
        mid = 0.5 * (lo + hi)
        m2 = b.add(f'M2_{k}', [genu, insula(mid, 0.55), insula(mid, 1.0)], m1[-1], 'MCA', 0.7, (8, 18))
        n3 = int(rng.integers(3, 5)) if trunks == 2 else int(rng.integers(2, 4))
        for j, psi in enumerate(np.sort(rng.uniform(lo, hi, n3))):
            lam = rng.uniform(12, 26)
            surf = ellipsoid_point(centre, brain, s, lam, psi, 0.95)
            loop = insula(psi, 0.55, dx=rng.uniform(12, 16))
            m3 = b.add(f'M3_{k}{j}', [insula(psi, 1.05, dx=2), loop, surf], m2, 'MCA', 0.6, (6, 14))
            _cortical(
                b, f'M4_{k}{j}', m3, centre, brain, s, (lam, psi), int(rng.integers(2, 5)), 'MCA', step_leaf
            )

    # --- ACA -----------------------------------------------------------------------------------------
    acom = J(s * 2.5, -24, 8, sd=1.5)
    a1 = b.add('A1', [J(s * 9, -20, 5, sd=1.5), acom], c7b, 'ACA', 0.3)
    cc = [
        J(s * 3, -30, 18),
        J(s * 3.5, -38, 32),
        J(s * 4, -34, 46),
        J(s * 4, -15, 54),
        J(s * 4, 10, 56),
        J(s * 4, 32, 48),
        J(s * 4, 45, 36),
    ]
    a2 = b.chain([f'A2_{i}' for i in range(5)], cc, a1, 'ACA', [1, 2, 3, 4], tort=0.5)
    psis = [
        rng.uniform(0, 20),
        rng.uniform(30, 55),
        rng.uniform(60, 90),
        rng.uniform(95, 125),
        rng.uniform(130, 160),
    ]
    for i, (seg, psi) in enumerate(zip(a2, psis)):
        if i == len(a2) - 1:  # the pericallosal end continues as the precuneal branch
            tip = ellipsoid_point(centre, brain, s, rng.uniform(70, 80), psi, 0.95)
            b.add('ACA_c4', [tip], seg, 'ACA', 0.6, (6, 14))
            continue
        medial = ellipsoid_point(centre, brain, s, 84, psi, 0.92)
        medial[0] = s * rng.uniform(4, 7)
        lam = rng.uniform(60, 72)
        cort = b.add(
            f'ACA_c{i}', [medial, ellipsoid_point(centre, brain, s, lam, psi, 0.95)], seg, 'ACA', 0.6, (6, 14)
        )
        if rng.random() < 0.7:
            _cortical(
                b, f'ACA_c{i}', cort, centre, brain, s, (lam, psi), 2, 'ACA', step_leaf, lam_span=(-25, -10)
            )
    tree.apply_murray(rng.uniform(*p.ica_radius_mm))
    if cca:  # the CCA carries ICA + ECA flow: keep the ICA at its sampled size
        scale = rng.uniform(*p.ica_radius_mm) / tree.by_name('ICA_cervical').radius
        for seg in tree.arteries():
            seg.radius *= scale
    return tree


def _cortical(b: _Builder, name, parent, centre, brain, s, start, n, territory, step, lam_span=None) -> None:
    """Branches that run over the cortex from ``start`` = (lam, psi); each may split once more."""
    rng = b.rng
    lam0, psi0 = start
    for m in range(n):
        if lam_span is not None:
            lam_t, psi_t = lam0 + rng.uniform(*lam_span), psi0 + rng.uniform(-18, 18)
        else:  # fan out from the sylvian region towards the rim of the hemisphere
            lam_t, psi_t = float(np.clip(lam0 + rng.uniform(18, 48), 20, 78)), psi0 + rng.uniform(-20, 20)
        pts = surface_arc(
            centre, brain, s, (lam0, psi0), (lam_t, psi_t), step, 0.955, rng.uniform(-0.02, 0.02)
        )
        pts = b.tree.segments[parent].points[-1] + (pts - pts[0])  # start exactly at the parent's end
        if len(pts) > 12 and rng.random() < 0.75:
            k = int(len(pts) * rng.uniform(0.45, 0.65))
            seg = b.add_points(f'{name}{m}', _wiggle(b, pts[: k + 1]), parent, territory)
            lam_m = lam0 + (lam_t - lam0) * k / len(pts)
            psi_m = psi0 + (psi_t - psi0) * k / len(pts)
            for q, (dl, dp) in enumerate(
                [(0.0, 0.0), (rng.uniform(-8, 8), rng.choice([-1, 1]) * rng.uniform(10, 18))]
            ):
                tail = surface_arc(centre, brain, s, (lam_m, psi_m), (lam_t + dl, psi_t + dp), step, 0.955)
                tail = pts[k] + (tail - tail[0])
                b.add_points(f'{name}{m}_{q}', _wiggle(b, tail), seg, territory)
        else:
            b.add_points(f'{name}{m}', _wiggle(b, pts), parent, territory)


def _wiggle(b: _Builder, pts: np.ndarray) -> np.ndarray:
    if len(pts) < 4:
        return pts
    return resample(meander(pts, b.rng, 0.35 * b.tort, (9.0, 22.0)), b.step)


def _pcom_pca(b: _Builder, c6: int, s: int, centre, brain) -> None:
    J, rng = b.jit, b.rng
    pcom = b.add('PCom', [J(s * 14, -6, -4), J(s * 12, 6, -6)], c6, 'PCA', 0.4)
    p2 = b.add('PCA_P2', [J(s * 20, 18, -5), J(s * 22, 32, 0), J(s * 15, 48, 8)], pcom, 'PCA', 0.6)
    b.add(
        'PCA_temporal',
        [J(s * 34, 35, -12), ellipsoid_point(centre, brain, s, rng.uniform(35, 50), 235, 0.95)],
        pcom,
        'PCA',
        0.8,
        (6, 14),
    )
    b.add('PCA_calcarine', [J(s * 10, 65, 10), J(s * 8, 78, 12)], p2, 'PCA', 0.8, (6, 14))
    b.add('PCA_parietooccipital', [J(s * 9, 58, 30), J(s * 8, 55, 48)], p2, 'PCA', 0.8, (6, 14))


def _eca(b: _Builder, cca: int, s: int) -> None:
    J, rng = b.jit, b.rng
    leaf = lambda: rng.uniform(0.6, 0.8)  # noqa: E731
    e1 = b.add('ECA_1', [J(s * 32, 10, -105), J(s * 34, 6, -92)], cca, 'ECA', 0.5)
    e2 = b.add('ECA_2', [J(s * 38, 4, -75), J(s * 42, 2, -60)], e1, 'ECA', 0.5)
    b.add(
        'ECA_facial',
        [J(s * 42, -20, -100), J(s * 50, -45, -95), J(s * 48, -62, -72), J(s * 38, -75, -45)],
        e1,
        'ECA',
        0.6,
        (14, 26),
        leaf(),
    )
    b.add(
        'ECA_occipital',
        [J(s * 40, 25, -88), J(s * 44, 50, -70), J(s * 40, 75, -40), J(s * 30, 92, -10)],
        e1,
        'ECA',
        0.5,
        (14, 26),
        leaf(),
    )
    sta = b.add(
        'ECA_STA', [J(s * 66, 2, -45), J(s * 76, -2, -15), J(s * 78, -2, 10)], e2, 'ECA', 0.5, (14, 26)
    )
    b.add('ECA_STA_front', [J(s * 77, -40, 45), J(s * 62, -70, 60)], sta, 'ECA', 0.5, (14, 26), leaf())
    b.add('ECA_STA_par', [J(s * 77, 20, 50), J(s * 62, 30, 85)], sta, 'ECA', 0.5, (14, 26), leaf())
    imax = b.add('ECA_IMAX', [J(s * 36, -15, -55), J(s * 30, -35, -52)], e2, 'ECA', 0.8)
    b.add(
        'ECA_MMA',
        [J(s * 32, -10, -40), J(s * 55, -8, -25), J(s * 66, -3, 10), J(s * 62, 5, 55)],
        imax,
        'ECA',
        0.6,
        (10, 20),
        leaf(),
    )
    b.add('ECA_IMAX_distal', [J(s * 25, -50, -48), J(s * 20, -62, -40)], imax, 'ECA', 0.8, (6, 12), leaf())
