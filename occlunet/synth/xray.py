"""X-ray image formation and digital subtraction.

Per frame: total attenuation mu*L = background anatomy + iodine (mu_I * path length * concentration);
patient motion moves the whole head (sub-pixel shifts / rotation, fill frames only); Beer-Lambert
N = N0 * heel(x) * exp(-mu L) detected quanta; quantum noise (Poisson, drawn in its Gaussian limit
N + sqrt(N) z because N >> 1 everywhere behind the head); detector blur (Gaussian PSF, correlates the
noise as a real detector does). The mask is the average of several contrast-free exposures. DSA is the log
subtraction ln N_mask - ln N_frame: iodine positive, the anatomy cancels except for noise and motion.
Stored values are MONOCHROME2 with vessels dark: background_level * max - gain * max * DSA.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .config import SynthParams


@dataclass
class XrayParams:
    quanta: float  # detected quanta per pixel per frame behind the head centre
    heel: float  # relative intensity gradient across the columns
    blur_px: float  # detector PSF sigma in pixels
    mask_frames: int
    shifts: np.ndarray | None  # (T, 3): dx px, dy px, rotation deg per fill frame; None: no motion

    @classmethod
    def sample(
        cls,
        rng: np.random.Generator,
        p: SynthParams,
        px_mm: float,
        n_frames: int,
        frame_times: np.ndarray | None = None,
    ) -> XrayParams:
        """Per-run draws; the drift follows ``frame_times`` (s) when given, else the frame index (the same
        for a constant frame rate)."""
        quanta = rng.uniform(*p.dose_quanta) * (512.0 / p.size) ** 2  # bigger pixels collect more quanta
        heel = rng.uniform(*p.heel_effect) * rng.choice([-1.0, 1.0])
        blur_px = rng.uniform(*p.detector_blur_mm) / px_mm
        moving = rng.random() < p.motion_probability
        amp = rng.uniform(*p.motion_shift_mm) / px_mm
        rot = rng.uniform(*p.motion_rotation_deg)
        direction = rng.standard_normal(2)
        direction /= np.linalg.norm(direction) + 1e-9
        elapsed = (
            np.linspace(0.0, 1.0, n_frames)
            if frame_times is None
            else frame_times / max(frame_times[-1], 1e-9)
        )
        frac = elapsed ** rng.uniform(0.5, 2.0)  # drift: starts right after the mask
        jitter = rng.normal(0.0, 0.15, (n_frames, 2)) * amp
        shifts = np.column_stack(
            [frac[:, None] * amp * direction + jitter, frac * rot * rng.choice([-1.0, 1.0])]
        )
        return cls(quanta, heel, blur_px, p.mask_frames, shifts if moving else None)


def _detect(n: np.ndarray, blur: float, z: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """Noisy, blurred detected signal (in place on the expected quanta ``n``); ``z``: unit-variance noise.
    ``gain`` > 1 averages that many exposures (noise / sqrt(gain))."""
    noise = np.sqrt(n)
    noise *= z
    if gain != 1.0:
        noise *= np.float32(1.0 / np.sqrt(gain))
    n += noise
    if blur > 0.05:
        n = cv2.GaussianBlur(n, (0, 0), blur)
    return np.maximum(n, np.float32(0.5), out=n)


def form_dsa(bg_mu: np.ndarray, iodine_mu: np.ndarray, xp: XrayParams, z_noise: np.ndarray) -> np.ndarray:
    """DSA frames (T, H, W) float32 = ln(mask) - ln(frame); ``z_noise``: (T + 1, H, W) unit-variance noise."""
    t, h, w = iodine_mu.shape
    ramp = np.linspace(-0.5, 0.5, w, dtype=np.float32)[None, :]
    quanta = xp.quanta * np.exp(float(np.median(bg_mu[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3])))
    n0 = np.broadcast_to((quanta * (1.0 + xp.heel * 2 * ramp)).astype(np.float32), (h, w))
    n_bg = n0 * np.exp(-bg_mu)  # expected quanta without iodine (Beer-Lambert)
    log_mask = np.log(_detect(n_bg.copy(), xp.blur_px, z_noise[0], float(xp.mask_frames)))
    out = np.empty((t, h, w), np.float32)
    centre = ((w - 1) / 2.0, (h - 1) / 2.0)
    for i in range(t):
        if xp.shifts is None:
            n = np.exp(-iodine_mu[i])
            n *= n_bg
        else:  # the whole head moves: anatomy and vessels together
            dx, dy, rot = xp.shifts[i]
            m = cv2.getRotationMatrix2D(centre, float(rot), 1.0)
            m[:, 2] += (dx, dy)
            mu = cv2.warpAffine(
                bg_mu + iodine_mu[i], m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )
            n = np.exp(-mu)
            n *= n0
        np.subtract(log_mask, np.log(_detect(n, xp.blur_px, z_noise[i + 1])), out=out[i])
    return out


def quantise(dsa: np.ndarray, bits: int, level: float, gain: float) -> np.ndarray:
    """DSA (iodine positive) -> MONOCHROME2 stored values, vessels dark, in [0, 2**bits - 1] (uint16)."""
    top = float((1 << bits) - 1)
    v = dsa * np.float32(-gain * top)
    v += np.float32(level * top + 0.5)  # + 0.5: round half up by the truncating cast below
    np.clip(v, 0.0, top + 0.49, out=v)
    return v.astype(np.uint16)


def unit_noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Zero-mean, unit-variance white noise (float32) from random bytes (uniform variates).

    Five times cheaper than normal variates; the detector PSF then sums several pixels, so the noise in the
    image is Gaussian to a very good approximation (central limit theorem), as Poisson noise at N >> 1 is.
    """
    raw = np.frombuffer(rng.bytes(int(np.prod(shape))), dtype=np.uint8).reshape(shape)
    out = raw.astype(np.float32)
    out -= np.float32(127.5)
    out *= np.float32(1.0 / 73.9004)  # std of the discrete uniform on 0..255
    return out
