"""PA / LAT projection geometry and rasterisation of the 3-D tree into sparse chord-length maps.

Both views are parallel projections of the same 3-D tree: PA looks along the anterior-posterior axis (y)
and images the x-z plane; LAT looks along the left-right axis (x) and images the y-z plane. Image rows run
from superior to inferior in both views with the same vertical centre and pixel size, so a structure has
the same row in PA and LAT. PA shows the patient's left on the right of the frame (PatientOrientation
L\\F); LAT shows anterior on the left (P\\F).

Rasterisation: every vessel piece becomes one column of a sparse matrix (pixels x pieces) holding the
length (mm) of the ray through the tube: 2 sqrt(r^2 - d^2) / sin(theta) for in-plane distance d from the
projected axis and angle theta between the axis and the beam, averaged over the pixel width (anti-aliased).
A frame's iodine path-length map is then one sparse product with the per-piece concentrations.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import scipy.sparse as sp

from .geom import arc_length
from .vessel_tree import Pieces, VesselTree


@dataclass
class ViewGeometry:
    name: str  # 'PA' or 'LAT'
    size: int
    px_mm: float  # pixel size at the isocentre (mm)
    centre: np.ndarray  # 3-D point imaged at the centre of the frame

    @property
    def axis(self) -> int:
        """Index of the in-plane horizontal coordinate (x for PA, y for LAT)."""
        return 0 if self.name == 'PA' else 1

    @property
    def beam(self) -> np.ndarray:
        return np.array([0.0, 1.0, 0.0]) if self.name == 'PA' else np.array([1.0, 0.0, 0.0])

    def project(self, pts: np.ndarray) -> np.ndarray:
        """(N, 3) mm -> (N, 2) pixel coordinates (u = column, v = row; pixel centres at integers)."""
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 3)
        half = (self.size - 1) / 2.0
        u = (pts[:, self.axis] - self.centre[self.axis]) / self.px_mm + half
        v = (self.centre[2] - pts[:, 2]) / self.px_mm + half
        return np.stack([u, v], axis=1)

    def unproject_grid(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates -> (in-plane horizontal mm, z mm)."""
        half = (self.size - 1) / 2.0
        return self.centre[self.axis] + (u - half) * self.px_mm, self.centre[2] - (v - half) * self.px_mm


def _box_profile(d: np.ndarray, r) -> np.ndarray:
    """Mean chord length of a disc of radius r over [d - 0.5, d + 0.5] (all in pixels; r may be an array)."""

    def prim(x):  # integral of 2 sqrt(r^2 - s^2) from -r to x
        x = np.clip(x, -r, r)
        return x * np.sqrt(np.maximum(r * r - x * x, 0.0)) + r * r * np.arcsin(x / r) + 0.5 * np.pi * r * r

    return prim(d + 0.5) - prim(d - 0.5)


def rasterise(
    tree: VesselTree, pieces: Pieces, view: ViewGeometry, cups: dict[int, float] | None = None
) -> sp.csr_matrix:
    """Sparse (size*size, n_pieces) float32 matrix of iodine path lengths (mm) per unit concentration.

    ``cups`` maps a segment id to the depth (mm) of a concave meniscus at its distal end (occlusion stump).
    Per segment only the candidate pixels are found (distance transform of the projected centre line in a
    local patch, which also names each pixel's nearest centre-line sample); the chord lengths of all
    segments are then computed in one vectorised pass.
    """
    n = view.size
    cups = cups or {}
    depth = 1 - view.axis  # coordinate along the beam
    s_uv, s_tan, s_q, s_obl, s_col = [], [], [], [], []  # per centre-line sample
    g_r, g_end, g_cup, g_target = [], [], [], []  # per drawn segment
    p_pix, p_k, p_seg = [], [], []  # per candidate pixel
    n_samples = 0
    for seg in tree.segments:
        if len(seg.points) < 2:
            continue
        r_px = seg.radius / view.px_mm
        uv = view.project(seg.points)
        t3 = np.gradient(seg.points, axis=0)
        cos_b = np.abs(t3[:, depth]) / np.maximum(np.sqrt((t3 * t3).sum(axis=1)), 1e-9)
        sin_t = np.sqrt(np.maximum(1.0 - cos_b * cos_b, 0.0))
        sp2 = arc_length(uv)
        m = max(2, int(np.ceil(sp2[-1] / 0.7)) + 1)
        q = np.linspace(0.0, sp2[-1], m)
        if sp2[-1] < 1e-6:
            idx = np.zeros(m, dtype=int)
            quv = uv[idx]
        else:
            idx = np.rint(np.interp(q, sp2, np.arange(len(sp2), dtype=float))).astype(int)
            quv = np.stack([np.interp(q, sp2, uv[:, 0]), np.interp(q, sp2, uv[:, 1])], axis=1)
        pad = r_px + 2.5
        lo = np.floor(quv.min(axis=0) - pad).astype(int).clip(0, n - 1)
        hi = np.ceil(quv.max(axis=0) + pad).astype(int).clip(0, n - 1)
        ri = np.rint(quv).astype(int) - lo
        shape = (hi[1] - lo[1] + 1, hi[0] - lo[0] + 1)
        inside = (ri[:, 0] >= 0) & (ri[:, 0] < shape[1]) & (ri[:, 1] >= 0) & (ri[:, 1] < shape[0])
        if not inside.any():
            continue
        patch = np.full(shape, 255, np.uint8)
        patch[ri[inside, 1], ri[inside, 0]] = 0
        dist, labels = cv2.distanceTransformWithLabels(patch, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
        ys, xs = np.nonzero(dist <= r_px + 1.6)
        lut = np.zeros(int(labels.max()) + 1, dtype=np.int64)
        samples = np.flatnonzero(inside)
        lut[labels[ri[samples, 1], ri[samples, 0]]] = samples
        tan = np.gradient(quv, axis=0)
        tan /= np.maximum(np.sqrt((tan * tan).sum(axis=1, keepdims=True)), 1e-9)
        pcs = pieces.of_segment(seg.sid)
        j = len(g_r)
        s_uv.append(quv)
        s_tan.append(tan)
        s_q.append(q)
        s_obl.append(1.0 / np.maximum(sin_t[idx], 0.5))
        s_col.append(pcs[np.searchsorted(pieces.i1[pcs], idx, side='left').clip(0, len(pcs) - 1)])
        g_r.append(max(r_px, 1e-6))
        g_end.append(q[-1])
        g_cup.append(cups.get(seg.sid, 0.0) / view.px_mm * sin_t[-1])
        g_target.append(np.pi * seg.radius**2 * seg.length * inside.mean())
        p_pix.append((ys + lo[1]) * n + xs + lo[0])
        p_k.append(lut[labels[ys, xs]] + n_samples)
        p_seg.append(np.full(len(ys), j, dtype=np.int32))
        n_samples += m
    if not p_pix:
        return sp.csr_matrix((n * n, len(pieces)), dtype=np.float32)
    quv, tan, q = np.concatenate(s_uv), np.concatenate(s_tan), np.concatenate(s_q)
    obl, col = np.concatenate(s_obl), np.concatenate(s_col)
    r, end, cup, target = (np.asarray(a, dtype=np.float64) for a in (g_r, g_end, g_cup, g_target))
    pix, k, sj = np.concatenate(p_pix), np.concatenate(p_k), np.concatenate(p_seg)
    dx = (pix % n) - quv[k, 0]
    dy = (pix // n) - quv[k, 1]
    along = dx * tan[k, 0] + dy * tan[k, 1]
    perp = np.abs(dx * tan[k, 1] - dy * tan[k, 0])
    rr = r[sj]
    w = _box_profile(perp, rr)
    s_pix = q[k] + along  # position along the projected centre line: flat, anti-aliased end caps
    # the distal cap; with a cup (occlusion stump) the column's centre ends earlier: a concave meniscus
    cut = end[sj] - cup[sj] * (1.0 - np.minimum(perp / rr, 1.0) ** 2)
    w *= np.clip(0.5 + s_pix, 0.0, 1.0) * np.clip(0.5 + cut - s_pix, 0.0, 1.0)
    w *= view.px_mm * obl[k]
    # conserve iodine mass: the projection of a tube integrates to its volume pi r^2 L (matters for short
    # segments seen end-on, where the 1 / sin(theta) chord is only an approximation)
    total = np.bincount(sj, weights=w, minlength=len(r)) * view.px_mm**2
    scale = np.where((total > 0) & (target > 0), np.clip(target / np.maximum(total, 1e-12), 0.4, 1.5), 1.0)
    w *= scale[sj]
    keep = w > 1e-4
    return sp.csr_matrix(
        (w[keep].astype(np.float32), (pix[keep], col[k[keep]])), shape=(n * n, len(pieces)), dtype=np.float32
    )


DEPTHS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)  # parenchyma from the cortical surface towards the centre
DEPTH_WEIGHTS = (1.0, 0.9, 0.7, 0.5, 0.35, 0.25)  # grey matter has ~2x the blood volume of white matter


def blush_basis(
    tree: VesselTree,
    leaves: list[int],
    view: ViewGeometry,
    factor: int,
    sigma_mm: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int]:
    """Projected parenchymal blood volume around each terminal artery at 1/``factor`` resolution.

    Each leaf's centre line is splatted with a smooth random density and blurred with a Gaussian of
    ``sigma_mm``: the projection of an isotropic 3-D Gaussian is a 2-D Gaussian of the same width, so the
    PA and LAT blush maps are projections of one 3-D density. Every map integrates to the leaf's flow share
    (r^3). Returns (L, h*w) float32 (mass per low-res pixel) and the low-res side length.
    """
    low = int(np.ceil(view.size / factor))
    sig = sigma_mm / (view.px_mm * factor)
    all_pts, all_w, all_i = [], [], []
    for i, sid in enumerate(leaves):
        seg = tree.segments[sid]
        pts = seg.points
        # the whole distal half of the parent helps to perfuse too (longer, smoother territories)
        if seg.parent >= 0:
            par = tree.segments[seg.parent].points
            pts = np.vstack([par[len(par) // 2 :], pts])
        dens = 1.0 + 0.6 * np.sin(np.arange(len(pts)) / rng.uniform(4, 12) + rng.uniform(0, 6.3)) ** 2
        if seg.territory in ('MCA', 'ACA', 'PCA'):  # cortex + white matter below a cortical branch
            c = tree.head_centre
            pts = np.vstack([c + f * (pts - c) for f in DEPTHS])
            dens = np.concatenate([dens * w for w in DEPTH_WEIGHTS])
        all_pts.append(pts)
        all_w.append(dens * (tree.segments[sid].radius ** 3 / dens.sum()))  # mass = flow share (r^3)
        all_i.append(np.full(len(pts), i))
    uv = (view.project(np.concatenate(all_pts)) + 0.5) / factor - 0.5
    wts, leaf = np.concatenate(all_w), np.concatenate(all_i)
    ui, vi = np.floor(uv[:, 0]).astype(int), np.floor(uv[:, 1]).astype(int)
    fu, fv = uv[:, 0] - ui, uv[:, 1] - vi
    out = np.zeros(len(leaves) * low * low, np.float64)
    for du, dv, wt in (
        (0, 0, (1 - fu) * (1 - fv)),
        (1, 0, fu * (1 - fv)),
        (0, 1, (1 - fu) * fv),
        (1, 1, fu * fv),
    ):
        uu, vv = ui + du, vi + dv
        ok = (uu >= 0) & (uu < low) & (vv >= 0) & (vv < low)
        out += np.bincount(
            (leaf[ok] * low + vv[ok]) * low + uu[ok], weights=(wts * wt)[ok], minlength=out.size
        )
    out = out.astype(np.float32).reshape(len(leaves), low, low)
    for i in range(len(leaves)):
        cv2.GaussianBlur(out[i], (0, 0), sig, dst=out[i], borderType=cv2.BORDER_CONSTANT)
    return out.reshape(len(leaves), low * low), low
