"""Data structures of the 3-D vessel tree: segments, topology, Murray radii, pieces.

A :class:`Segment` is an unbranched stretch of vessel with a centre line sampled every ~1 mm, ordered in
the direction of flow; branches leave from a segment's last point. Arteries form a tree rooted at the
injected vessel (ICA or CCA); veins form a second tree whose ``parent`` is the vessel they drain into.
The anatomy itself is built in :mod:`.arteries` and :mod:`.veins`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .geom import arc_length


@dataclass
class Segment:
    sid: int
    name: str
    points: np.ndarray  # (N, 3) mm, proximal -> distal (arteries) / upstream -> downstream (veins)
    parent: int = -1
    children: list[int] = field(default_factory=list)
    kind: str = 'artery'  # 'artery' | 'vein'
    territory: str = ''  # ICA, MCA, ACA, PCA, OPH, ECA, CCA, deep, vein
    radius: float = 0.0  # mm (constant along the segment)
    leaf_radius: float = 0.0  # radius requested for a terminal artery before Murray scaling
    drains: list[int] = field(default_factory=list)  # veins: terminal arteries whose capillary bed they drain
    dilution: float = 1.0  # veins: share of the outflow that comes from the injected territory

    @property
    def length(self) -> float:
        return float(arc_length(self.points)[-1])


@dataclass
class VesselTree:
    segments: list[Segment]
    side: int  # +1: left hemisphere injected, -1: right
    head_centre: np.ndarray
    skull_axes: np.ndarray  # outer table semi-axes (x, y, z)
    skull_thickness: float
    brain_axes: np.ndarray
    root: int = 0

    # --- topology ------------------------------------------------------------------------------------
    def add(self, seg: Segment) -> int:
        seg.sid = len(self.segments)
        self.segments.append(seg)
        if seg.parent >= 0:
            self.segments[seg.parent].children.append(seg.sid)
        return seg.sid

    def arteries(self) -> list[Segment]:
        return [s for s in self.segments if s.kind == 'artery']

    def veins(self) -> list[Segment]:
        return [s for s in self.segments if s.kind == 'vein']

    def subtree(self, sid: int) -> list[int]:
        """``sid`` and everything downstream of it (arteries) / upstream of it (veins)."""
        out, stack = [], [sid]
        while stack:
            s = stack.pop()
            out.append(s)
            stack.extend(self.segments[s].children)
        return sorted(out)

    def leaves(self, kind: str = 'artery') -> list[int]:
        return [s.sid for s in self.segments if s.kind == kind and not s.children]

    def ancestors(self, sid: int) -> list[int]:
        out = []
        p = self.segments[sid].parent
        while p >= 0:
            out.append(p)
            p = self.segments[p].parent
        return out

    def by_name(self, name: str) -> Segment:
        for s in self.segments:
            if s.name == name:
                return s
        raise KeyError(name)

    def topological(self, kind: str = 'artery') -> list[int]:
        """Segment ids with every parent before its children."""
        roots = [s.sid for s in self.segments if s.kind == kind and s.parent < 0]
        order, stack = [], list(reversed(roots))
        while stack:
            s = stack.pop()
            order.append(s)
            stack.extend(reversed(self.segments[s].children))
        return order

    def split(self, sid: int, k: int) -> int:
        """Cut segment ``sid`` at sample ``k``: it keeps points[:k+1]; a new child gets points[k:] and the
        old children. Returns the new (distal) segment id. Geometry is unchanged."""
        seg = self.segments[sid]
        k = int(np.clip(k, 1, len(seg.points) - 2))
        distal = Segment(
            sid=-1,
            name=seg.name + '_distal',
            points=seg.points[k:].copy(),
            parent=-1,
            kind=seg.kind,
            territory=seg.territory,
            radius=seg.radius,
            leaf_radius=seg.leaf_radius,
        )
        distal.children = seg.children
        distal.sid = len(self.segments)
        self.segments.append(distal)
        for c in distal.children:
            self.segments[c].parent = distal.sid
        distal.parent = sid
        seg.children = [distal.sid]
        seg.points = seg.points[: k + 1].copy()
        return distal.sid

    # --- Murray's law ---------------------------------------------------------------------------------
    def apply_murray(self, root_radius: float) -> None:
        """Radii bottom-up by Murray's law r_parent^3 = sum r_child^3 (leaves keep ``leaf_radius``), then
        every artery is scaled so that the root gets ``root_radius`` (the law is scale invariant)."""
        for sid in reversed(self.topological('artery')):
            seg = self.segments[sid]
            if seg.children:
                seg.radius = float(sum(self.segments[c].radius ** 3 for c in seg.children) ** (1 / 3))
            else:
                seg.radius = seg.leaf_radius
        scale = root_radius / self.segments[self.root].radius
        for seg in self.arteries():
            seg.radius *= scale


@dataclass
class Pieces:
    """Segments cut into short pieces; every piece is one column of the projection matrix and has its own
    time-density curve. ``i0``/``i1`` index the segment's samples (inclusive)."""

    seg: np.ndarray  # (P,) segment id
    i0: np.ndarray
    i1: np.ndarray
    s_mid: np.ndarray  # arc length from the segment start to the piece middle (mm)
    first: dict[int, int]  # segment id -> its first piece

    def __len__(self) -> int:
        return len(self.seg)

    def of_segment(self, sid: int) -> np.ndarray:
        return np.flatnonzero(self.seg == sid)


def make_pieces(tree: VesselTree, piece_length: float) -> Pieces:
    seg, i0, i1, s_mid, first = [], [], [], [], {}
    for s in tree.segments:
        s_arc = arc_length(s.points)
        n = max(1, int(np.ceil(s_arc[-1] / piece_length)))
        bounds = np.searchsorted(s_arc, np.linspace(0.0, s_arc[-1], n + 1))
        bounds[0], bounds[-1] = 0, len(s.points) - 1
        first[s.sid] = len(seg)
        for a, b in zip(bounds[:-1], bounds[1:]):
            b = max(int(b), int(a) + 1) if len(s.points) > 1 else int(a)
            seg.append(s.sid)
            i0.append(int(a))
            i1.append(min(b, len(s.points) - 1))
            s_mid.append(0.5 * (s_arc[int(a)] + s_arc[min(b, len(s.points) - 1)]))
    return Pieces(np.array(seg), np.array(i0), np.array(i1), np.array(s_mid), first)
