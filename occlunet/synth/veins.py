"""The venous side: superficial cortical veins, the dural sinuses and the deep veins, in 3-D.

Veins form their own tree (``parent`` = the vein a segment drains into): cortical veins -> superior sagittal
sinus (SSS) -> torcula -> transverse sinus -> sigmoid sinus -> internal jugular vein; internal cerebral and
basal veins -> vein of Galen / straight sinus -> torcula; superficial middle cerebral vein -> cavernous
sinus -> inferior petrosal sinus -> jugular bulb; vein of Labbe -> transverse sinus. Every terminal artery
(capillary bed) is assigned to the nearest vein that plausibly drains it (``Segment.drains``).
"""

from __future__ import annotations

import numpy as np

from .config import SynthParams
from .geom import resample, smooth_curve, surface_arc
from .vessel_tree import Segment, VesselTree


def _nearest(points: np.ndarray, q: np.ndarray) -> np.ndarray:
    return points[int(np.argmin(np.linalg.norm(points - q, axis=1)))]


def add_veins(tree: VesselTree, rng: np.random.Generator, p: SynthParams) -> None:
    s, c = tree.side, tree.head_centre
    inner = tree.skull_axes - tree.skull_thickness
    brain = tree.brain_axes
    step = p.sample_step_mm
    tort = rng.uniform(*p.tortuosity_mm) * 0.6

    def add(name, pts, parent, radius, dilution=1.0, join=True) -> int:
        pts = np.asarray(pts, dtype=np.float64)
        if join and parent >= 0:  # end on the vein we drain into
            pts = resample(np.vstack([pts, _nearest(tree.segments[parent].points, pts[-1])]), step)
        seg = Segment(
            -1, name, pts, parent=parent, kind='vein', territory='vein', radius=radius, dilution=dilution
        )
        return tree.add(seg)

    def curve(ctrl, t=1.0):
        return smooth_curve(np.asarray(ctrl), step, rng, tort * t, (12.0, 30.0))

    jb = np.array([s * 46.0, 25.0, -52.0]) + rng.normal(0, 2, 3)
    ijv = add(
        'IJV',
        curve([jb, jb + [-s * 2, -3, -30], jb + [-s * 4, -5, -75]], 0.5),
        -1,
        rng.uniform(4.0, 5.5),
        0.8,
    )
    torcula = c + [0.0, 0.8 * inner[1], -0.55 * inner[2]] + rng.normal(0, 2, 3)
    ts_ctrl = [
        torcula,
        torcula + [s * 24, -4, -1],
        [s * 45, torcula[1] - 20, torcula[2] - 3],
        [s * 50, 35, -38],
        jb,
    ]
    ts_pts = curve(ts_ctrl, 0.3)
    k = int(0.65 * len(ts_pts))
    sig = add('SIG', ts_pts[k:], ijv, rng.uniform(3.0, 4.0), 0.75, join=False)
    ts = add('TS', ts_pts[: k + 1], sig, rng.uniform(3.0, 4.0), 0.65, join=False)

    # superior sagittal sinus along the inner table of the midline, front -> back, widening posteriorly
    psi = np.linspace(rng.uniform(10, 25), 180 + np.degrees(np.arctan2(0.55, 0.8)), 60)
    a = np.radians(psi)
    sss_pts = c + 0.97 * np.stack([0 * a, -inner[1] * np.cos(a), inner[2] * np.sin(a)], axis=1)
    sss_pts = resample(np.vstack([sss_pts, torcula]), step)
    thirds = np.linspace(0, len(sss_pts) - 1, 4).astype(int)
    sss = ts
    for i in (2, 1, 0):  # build downstream first
        sss = add(
            f'SSS_{i}',
            sss_pts[thirds[i] : thirds[i + 1] + 1],
            sss if i < 2 else ts,
            1.8 + 0.7 * i,
            0.55,
            join=False,
        )
    sss_ids = [t.sid for t in tree.segments if t.name.startswith('SSS_')]

    galen = c + [0.0, 22.0, 8.0] + rng.normal(0, 2, 3)
    sts = add(
        'StS',
        curve([galen, 0.5 * (galen + torcula) + [0, 0, 4], torcula], 0.2),
        ts,
        rng.uniform(1.8, 2.4),
        0.6,
    )
    add('ICV', curve([c + [s * 3, -28, 12], c + [s * 2, 0, 13], galen]), sts, rng.uniform(0.9, 1.3))
    add('BVR', curve([[s * 22, -12, -6], [s * 18, 8, 4], [s * 8, 20, 14], galen]), sts, rng.uniform(0.9, 1.2))

    # superficial middle cerebral vein -> cavernous sinus -> inferior petrosal sinus -> jugular bulb
    cs_a = np.array([s * 14.0, -22.0, -24.0]) + rng.normal(0, 1.5, 3)
    cs_b = cs_a + [0, 16, -2]
    ips = add('IPS', curve([cs_b, cs_b + [s * 8, 14, -14], jb], 0.4), ijv, rng.uniform(1.0, 1.4), 0.7)
    cs = add(
        'CS', curve([cs_a, 0.5 * (cs_a + cs_b) + [s * 3, 0, 0], cs_b], 0.2), ips, rng.uniform(1.8, 2.4), 0.7
    )
    smcv = surface_arc(c, brain, s, (rng.uniform(10, 20), rng.uniform(110, 140)), (20, -15), step, 1.0)
    smcv = np.vstack([smcv, [s * 40, -30, -14], cs_a])
    add('SMCV', curve(smcv, 0.6), cs, rng.uniform(0.9, 1.3))

    # cortical veins to the SSS (one of them is the vein of Trolard), vein of Labbe to the TS
    for i, psi_k in enumerate(np.sort(rng.uniform(25, 170, int(rng.integers(4, 7))))):
        start = (rng.uniform(12, 32), psi_k + rng.normal(0, 10))
        end = (86.0, psi_k + rng.uniform(-20, 5))
        pts = surface_arc(c, brain, s, start, end, step, 1.0, 0.02)
        pts = curve(pts[:: max(1, len(pts) // 8)])
        near = min(
            sss_ids, key=lambda j: float(np.min(np.linalg.norm(tree.segments[j].points - pts[-1], axis=1)))
        )
        add(f'CV_{i}', pts, near, rng.uniform(1.1, 1.9))
    labbe = surface_arc(c, brain, s, (rng.uniform(15, 25), rng.uniform(170, 200)), (35, 215), step, 1.0)
    add(
        'LABBE',
        curve(np.vstack([labbe[:: max(1, len(labbe) // 6)], ts_pts[int(0.5 * k)]])),
        ts,
        rng.uniform(1.0, 1.5),
    )
    _assign_drainage(tree)


def _assign_drainage(tree: VesselTree) -> None:
    """Capillary beds of the terminal arteries -> the nearest suitable vein (deep / superficial / orbit)."""
    by = {v.name: v for v in tree.veins()}
    superficial = [v for v in tree.veins() if v.name.startswith(('CV_', 'LABBE', 'SMCV'))]
    deep = [by['ICV'], by['BVR']]
    for sid in tree.leaves('artery'):
        leaf = tree.segments[sid]
        tip = leaf.points[-1]
        if leaf.territory == 'ECA':
            continue  # extracranial drainage is not modelled
        if leaf.territory == 'OPH':
            by['CS'].drains.append(sid)
            continue
        pool = deep if leaf.territory == 'deep' else superficial
        best = min(pool, key=lambda v: float(np.min(np.linalg.norm(v.points - tip, axis=1))))
        best.drains.append(sid)


def venous_order(tree: VesselTree) -> list[int]:
    """Vein ids with every tributary before the vein it drains into."""
    return list(reversed(tree.topological('vein')))
