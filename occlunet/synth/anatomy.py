"""Background anatomy: the line integral of attenuation (mu * L) through head and neck, per view.

Analytic parallel-beam chords through ellipsoids: scalp/brain soft tissue, the skull as a shell between an
outer and an inner table (diploic texture), the skull base (petrous pyramids, clivus/sphenoid, mastoids
with air cells, sphenoid sinus), orbits, facial bones/mandible, cervical vertebrae and the neck. Mask and
fill frames share this map (only patient motion moves it), so it cancels in the subtraction except for
noise and misregistration at edges.
"""

from __future__ import annotations

import cv2
import numpy as np

from .config import SynthParams
from .projection import ViewGeometry
from .vessel_tree import VesselTree


def _rot_z(deg: float) -> np.ndarray:
    a = np.radians(deg)
    return np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])


def ellipsoid_chord(view: ViewGeometry, centre, axes, rot: np.ndarray | None = None) -> np.ndarray:
    """Length (mm) of every pixel's ray through an ellipsoid, (size, size) float32."""
    out = np.zeros((view.size, view.size), np.float32)
    add_ellipsoid(out, view, 1.0, centre, axes, rot)
    return out


def add_ellipsoid(out: np.ndarray, view: ViewGeometry, coef: float, centre, axes, rot=None, tex=None) -> None:
    """``out += coef * chord`` (times ``tex`` if given) over the ellipsoid's bounding box only."""
    n = view.size
    centre, axes = np.asarray(centre, float), np.asarray(axes, float)
    rot = np.eye(3) if rot is None else rot
    ext = np.sqrt(((rot * axes[None, :]) ** 2).sum(axis=1))  # half extent along x, y, z
    lo = view.project((centre - ext)[None])[0]
    hi = view.project((centre + ext)[None])[0]
    u0, u1 = int(max(np.floor(min(lo[0], hi[0])) - 1, 0)), int(min(np.ceil(max(lo[0], hi[0])) + 1, n - 1))
    v0, v1 = int(max(np.floor(min(lo[1], hi[1])) - 1, 0)), int(min(np.ceil(max(lo[1], hi[1])) + 1, n - 1))
    if u1 < u0 or v1 < v0:
        return
    a, z = view.unproject_grid(np.arange(u0, u1 + 1, dtype=float), np.arange(v0, v1 + 1, dtype=float))
    qa = (a - centre[view.axis]).astype(np.float32)[None, :]  # in-plane horizontal offset (row vector)
    qz = (z - centre[2]).astype(np.float32)[:, None]  # vertical offset (column vector)
    m = rot.T / axes[:, None]  # world -> unit sphere; the depth coordinate passes through the centre
    w = m @ view.beam
    ww = float(w @ w)
    ma, mz = m[:, view.axis], m[:, 2]
    # |u0 + t w|^2 = 1 with u0 = ma * qa + mz * qz: disc = (u0.w)^2 - |w|^2 (|u0|^2 - 1), expanded
    uw = float(ma @ w) * qa + float(mz @ w) * qz
    uu = float(ma @ ma) * qa * qa + (2.0 * float(ma @ mz)) * qa * qz + float(mz @ mz) * qz * qz
    disc = uw * uw - ww * (uu - 1.0)
    chord = np.sqrt(np.maximum(disc, 0.0)) * (2.0 * coef / ww)
    if tex is not None:
        chord *= tex[v0 : v1 + 1, u0 : u1 + 1]
    out[v0 : v1 + 1, u0 : u1 + 1] += chord


def smooth_noise(rng: np.random.Generator, n: int, cells: int) -> np.ndarray:
    """Zero-mean, unit-ish low-frequency texture (n, n) float32 by bicubic upsampling of white noise."""
    base = rng.standard_normal((cells, cells)).astype(np.float32)
    return cv2.resize(base, (n, n), interpolation=cv2.INTER_CUBIC)


def background_mu(
    tree: VesselTree, view: ViewGeometry, p: SynthParams, rng: np.random.Generator
) -> np.ndarray:
    """mu * L (dimensionless) of the head and neck without iodine, (size, size) float32."""
    c, outer, th = tree.head_centre, tree.skull_axes, tree.skull_thickness
    n = view.size
    soft, bone = p.mu_soft_per_mm, p.mu_bone_per_mm - p.mu_soft_per_mm
    mu = np.zeros((n, n), np.float32)

    def add(coef, dc, axes, rot=None, tex=None):
        add_ellipsoid(mu, view, coef, c + np.asarray(dc, float), np.asarray(axes, float), rot, tex)

    add(soft, [0, 0, 0], outer + 5.0)  # scalp + brain + skull as water
    diploe = 1.0 + 0.12 * smooth_noise(rng, n, 24) + 0.06 * smooth_noise(rng, n, 80)
    add(bone, [0, 0, 0], outer, tex=diploe)  # the skull: outer minus inner table
    add(-bone, [0, 0, 0], outer - th, tex=diploe)
    cells = 1.0 + 0.3 * smooth_noise(rng, n, 60)
    for sgn in (-1, 1):  # petrous pyramids, mastoids (with air cells), orbits (rim + fat)
        add(1.1 * bone, [sgn * 30, 12, -52], [28, 9, 8], _rot_z(sgn * 50))
        add(0.5 * bone, [sgn * 48, 22, -58], [12, 12, 16], tex=cells)
        add(0.5 * bone - 0.2 * soft, [sgn * 30, -78, -22], [17, 16, 16])
        add(-0.5 * bone, [sgn * 30, -80, -22], [14, 13, 13])
    add(0.9 * bone, [0, -10, -55], [10, 20, 14])  # clivus / sphenoid body
    add(-soft, [0, -24, -45], [13, 10, 10])  # sphenoid sinus (air)
    add(-0.8 * soft, [0, -70, -50], [12, 10, 12])  # nasal cavity (air)
    add(0.45 * bone, [0, -55, -92], [48, 30, 22])  # maxilla / mandible
    add(soft, [0, -40, -90], [55, 40, 32])  # face
    add(soft, [0, 12, -190], [52, 50, 120])  # neck soft tissue
    for z in np.arange(-88.0, -230.0, -17.0):  # cervical vertebrae
        add(0.8 * bone, [0, 22, z], [11, 9, 6.5])
        add(0.5 * bone, [0, 42, z + 3], [16, 8, 5])  # posterior elements
    add(-0.9 * soft, [0, -2, -120], [8, 7, 60])  # pharynx / airway
    return np.maximum(mu, 0.0, out=mu)
