"""3-D curve helpers: smooth centre lines through control points, tortuosity, points on an ellipsoid.

Coordinates follow DICOM's patient system (LPS, mm): +x = patient left, +y = posterior, +z = superior.
"""

from __future__ import annotations

import numpy as np


def arc_length(points: np.ndarray) -> np.ndarray:
    """Cumulative arc length (N,) of a polyline (N, 3), starting at 0."""
    if len(points) < 2:
        return np.zeros(len(points))
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])


def resample(points: np.ndarray, step: float) -> np.ndarray:
    """Resample a polyline at (nearly) uniform arc-length steps; end points are kept."""
    s = arc_length(points)
    n = max(2, int(np.ceil(s[-1] / step)) + 1)
    t = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(t, s, points[:, k]) for k in range(points.shape[1])], axis=1)


def catmull_rom(ctrl: np.ndarray, per_span: int = 12) -> np.ndarray:
    """Centripetal-free (uniform) Catmull-Rom spline through all control points (M, 3) -> dense polyline."""
    ctrl = np.asarray(ctrl, dtype=np.float64)
    if len(ctrl) == 2:
        t = np.linspace(0.0, 1.0, per_span + 1)[:, None]
        return ctrl[0] + t * (ctrl[1] - ctrl[0])
    ext = np.vstack([2 * ctrl[0] - ctrl[1], ctrl, 2 * ctrl[-1] - ctrl[-2]])
    t = np.linspace(0.0, 1.0, per_span, endpoint=False)[:, None]
    t2, t3 = t * t, t * t * t
    out = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        out.append(
            0.5
            * (
                2 * p1
                + (-p0 + p2) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                + (-p0 + 3 * p1 - 3 * p2 + p3) * t3
            )
        )
    out.append(ctrl[-1:])
    return np.vstack(out)


def _normals(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors perpendicular to the local tangent (a simple rotation-minimising-ish frame)."""
    tan = np.gradient(points, axis=0)
    tan /= np.maximum(np.linalg.norm(tan, axis=1, keepdims=True), 1e-9)
    ref = np.where(np.abs(tan[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    n1 = np.cross(tan, ref)
    n1 /= np.maximum(np.linalg.norm(n1, axis=1, keepdims=True), 1e-9)
    n2 = np.cross(tan, n1)
    return n1, n2


def meander(
    points: np.ndarray, rng: np.random.Generator, amplitude: float, wavelength: tuple[float, float]
) -> np.ndarray:
    """Add tortuosity: a sum of two random sinusoids perpendicular to the curve; the ends stay fixed."""
    if amplitude <= 0 or len(points) < 4:
        return points
    s = arc_length(points)
    length = s[-1]
    taper = np.sin(np.pi * np.clip(s / max(length, 1e-9), 0, 1)) ** 2  # 0 with zero slope at both ends
    n1, n2 = _normals(points)
    offset = np.zeros_like(points)
    for _ in range(2):
        lam = rng.uniform(*wavelength)
        phase = rng.uniform(0, 2 * np.pi, size=2)
        amp = amplitude * rng.uniform(0.4, 1.0)
        offset += amp * (np.sin(2 * np.pi * s / lam + phase[0])[:, None] * n1) * rng.uniform(0.3, 1.0)
        offset += amp * (np.sin(2 * np.pi * s / lam + phase[1])[:, None] * n2) * rng.uniform(0.3, 1.0)
    return points + taper[:, None] * offset


def smooth_curve(
    ctrl,
    step: float,
    rng: np.random.Generator | None = None,
    tortuosity: float = 0.0,
    wavelength=(10.0, 25.0),
) -> np.ndarray:
    """A smooth centre line through control points, sampled every ``step`` mm, optionally meandering."""
    dense = catmull_rom(np.asarray(ctrl, dtype=np.float64))
    pts = resample(dense, step / 2)
    if rng is not None and tortuosity > 0:
        pts = meander(pts, rng, tortuosity, wavelength)
    return resample(pts, step)


def ellipsoid_point(centre, axes, side: int, lam_deg, psi_deg, depth: float = 1.0) -> np.ndarray:
    """Point on an ellipsoid surface from two angles (vectorised over the angles).

    ``lam`` is measured from the lateral axis of the hemisphere ``side`` (+1 left, -1 right): 0 = most
    lateral point, 90 = midline. ``psi`` turns in the sagittal plane: 0 = anterior, 90 = superior,
    180 = posterior, 270 = inferior. ``depth`` < 1 puts the point inside (e.g. 0.95 for sulcal arteries).
    """
    lam = np.radians(np.asarray(lam_deg, dtype=np.float64))
    psi = np.radians(np.asarray(psi_deg, dtype=np.float64))
    u = np.stack([side * np.cos(lam), -np.sin(lam) * np.cos(psi), np.sin(lam) * np.sin(psi)], axis=-1)
    return np.asarray(centre) + depth * np.asarray(axes) * u


def surface_arc(centre, axes, side: int, start, end, step: float, depth: float = 0.95, bulge: float = 0.0):
    """A curve running along an ellipsoid surface between two (lam, psi) positions (angle interpolation)."""
    n = 16
    t = np.linspace(0.0, 1.0, n)
    lam = start[0] + (end[0] - start[0]) * t
    psi = start[1] + (end[1] - start[1]) * t
    d = depth + bulge * np.sin(np.pi * t)
    pts = ellipsoid_point(centre, axes, side, lam, psi, 1.0)
    pts = np.asarray(centre) + (pts - np.asarray(centre)) * d[:, None]
    return resample(pts, step)
