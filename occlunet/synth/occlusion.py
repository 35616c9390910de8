"""Where the clot sits: occlusion class -> vessel segment and position; the segment is split at the clot.

Classes (annotation categories): ``M1`` (clot in the M1 trunk), ``M2`` (one M2 trunk), ``ICA_intracranial``
(supraclinoid ICA / carotid terminus, 'T'), ``ICA_extracranial`` (cervical ICA, near the bulb) and
``unknown`` (ambiguous: a small distal M3/M4 branch, or an M1/M2 clot in a low-contrast run).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import SynthParams
from .projection import ViewGeometry
from .vessel_tree import VesselTree

#: Territories that feed the downstream bed by collaterals, per class. Only terminal arteries outside the
#: bed that fill with contrast act as sources; the others (an ACA cut off with the ICA terminus and fed
#: across the ACom, a PCA fed by the basilar artery) bring unopacified blood ('graded' model: see
#: :mod:`.collaterals`). Liebeskind 2003; van Laar et al. 2007 (flow territories in ICA occlusion).
COLLATERAL_SOURCES: dict[str, tuple[str, ...]] = {
    'M1': ('ACA', 'PCA'),  # leptomeningeal anastomoses over the convexity
    'M2': ('MCA', 'ACA', 'PCA'),  # neighbouring MCA branches + ACA
    'unknown': ('MCA', 'ACA', 'PCA'),
    'ICA_intracranial': (
        'ACA',
        'PCA',
        'ECA',
    ),  # contralateral ACA (ACom), fetal PCA distal to the clot, dural ECA
    'ICA_extracranial': ('ACA', 'PCA', 'ECA'),  # ACom, PCom (vertebrobasilar), ECA -> dural collaterals
}


@dataclass
class Occlusion:
    cls: str  # annotation category name
    segment: int  # proximal part (ends at the clot: the stump)
    distal: int  # first segment downstream of the clot
    point: np.ndarray  # 3-D clot position (mm)
    radius: float  # vessel radius at the clot (mm)
    downstream: list[int]  # segment ids without antegrade flow
    sources: tuple[str, ...]  # collateral source territories
    low_contrast: bool = False
    active: bool = True  # False: same geometry and clot position, but the haemodynamics of a control


def _candidates(
    tree: VesselTree, cls: str, rng: np.random.Generator
) -> tuple[list[str], tuple[float, float], bool]:
    names = [s.name for s in tree.arteries()]
    low = False
    if cls == 'unknown':
        if rng.random() < 0.5:
            small = [n for n in names if n.startswith(('M3_', 'M4_')) and tree.by_name(n).children]
            if small:
                return small, (0.2, 0.6), False
        low = True
        cls = 'M1' if rng.random() < 0.5 else 'M2'
    if cls == 'M1':
        return [n for n in names if n in ('M1a', 'M1b', 'M1c')], (0.15, 0.85), low
    if cls == 'M2':
        return [n for n in names if n.startswith('M2_')], (0.15, 0.55), low
    if cls == 'ICA_intracranial':
        return ['ICA_C7b', 'ICA_C7b', 'ICA_C7b', 'ICA_C7a', 'ICA_C6'], (0.2, 0.8), low
    return ['ICA_cervical'], (0.0, 1.0), low


def sample_occlusion(
    tree: VesselTree,
    rng: np.random.Generator,
    p: SynthParams,
    cls: str,
    views: list[ViewGeometry],
    margin_px: float,
) -> Occlusion:
    """Place a clot of class ``cls`` (it must project inside every view) and split its segment there."""
    for attempt in range(12):
        names, (f0, f1), low = _candidates(tree, cls if attempt < 8 else 'M1', rng)
        seg = tree.by_name(names[int(rng.integers(len(names)))])
        n = len(seg.points)
        ks = np.arange(max(1, int(f0 * (n - 1))), max(2, int(f1 * (n - 1))))
        ks = ks[(ks >= 1) & (ks <= n - 2)]
        ok = np.ones(len(ks), dtype=bool)
        for v in views:
            uv = v.project(seg.points[ks])
            ok &= np.all((uv > margin_px) & (uv < v.size - 1 - margin_px), axis=1)
        ks = ks[ok]
        if len(ks) == 0:
            continue
        if (
            cls == 'ICA_extracranial'
        ):  # atherosclerotic occlusions sit near the carotid bulb: lowest visible part
            ks = ks[: max(1, int(0.4 * len(ks)))]
        k = int(ks[int(rng.integers(len(ks)))])
        point = seg.points[k].copy()
        distal = tree.split(seg.sid, k)
        return Occlusion(
            cls=cls if attempt < 8 else 'M1',
            segment=seg.sid,
            distal=distal,
            point=point,
            radius=seg.radius,
            downstream=tree.subtree(distal),
            sources=COLLATERAL_SOURCES[cls if attempt < 8 else 'M1'],
            low_contrast=low,
        )
    raise RuntimeError('could not place an occlusion inside the field of view')
