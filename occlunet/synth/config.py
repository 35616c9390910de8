"""Generator parameters (one dataclass) with defaults taken from the angiography / X-ray literature.

Lengths are in mm, times in s, attenuation coefficients in 1/mm. Pairs ``(lo, hi)`` are ranges that each
study samples uniformly from (per-study variability). See docs/synthetic_data.md for the sources.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

GENERATOR_VERSION = '1.0.0'

#: Category ids of the annotation JSON (stable; a ``--classes`` subset never renumbers them).
CATEGORIES: tuple[dict, ...] = (
    {'id': 1, 'name': 'M1'},
    {'id': 2, 'name': 'M2'},
    {'id': 3, 'name': 'ICA_intracranial'},
    {'id': 4, 'name': 'ICA_extracranial'},
    {'id': 5, 'name': 'unknown'},
)
CLASS_NAMES: tuple[str, ...] = tuple(c['name'] for c in CATEGORIES)
CATEGORY_ID: dict[str, int] = {c['name']: c['id'] for c in CATEGORIES}

Range = tuple[float, float]


@dataclass
class SynthParams:
    """Every knob of the generator. ``SynthParams(**overrides)``; unknown names raise ``TypeError``."""

    # --- acquisition -------------------------------------------------------------------------------------
    size: int = 512  # Rows = Columns
    frames_min: int = 10
    frames_max: int = 20
    fps_min: float = 2.0  # cerebral DSA runs at 1-4 (-6) frames/s
    fps_max: float = 4.0
    fps_step: float = 0.5  # frame rates are drawn from fps_min, fps_min + step, ..., fps_max
    duration_s: Range = (6.0, 9.0)  # wanted run length; frames = clip(round(duration * fps), min, max)
    bits_stored: int = 12  # 10 or 12 (BitsAllocated is always 16)
    compress: str = 'none'  # 'none' (Explicit VR Little Endian) or 'rle' (RLE Lossless)
    field_of_view_mm: Range = (160.0, 190.0)  # at the isocentre (head ~145 x 185 mm)
    magnification: Range = (1.0, 1.08)  # SID / SOD (detector close to the head); ImagerPixelSpacing =
    # field_of_view * magnification / size = 0.31-0.40 mm at 512 px
    positioner_jitter_deg: float = 4.0  # PA: 0 +- jitter, LAT: 90 +- jitter

    # --- study mix ---------------------------------------------------------------------------------------
    occlusion_fraction: float = 0.6
    classes: tuple[str, ...] = CLASS_NAMES  # occlusion classes that may be drawn
    class_weights: dict[str, float] = field(
        default_factory=lambda: {
            'M1': 0.34,
            'M2': 0.30,
            'ICA_intracranial': 0.14,
            'ICA_extracranial': 0.10,
            'unknown': 0.12,
        }
    )
    cca_injection_probability: float = 0.3  # catheter in the common carotid: the ECA fills too (decoys)
    pcom_probability: float = 0.35  # a posterior communicating artery / fetal PCA fills from the ICA
    anterior_temporal_probability: float = 0.6  # early temporal branch off M1
    trifurcation_probability: float = 0.25  # three M2 trunks instead of two

    # --- vessel tree -------------------------------------------------------------------------------------
    ica_radius_mm: Range = (
        1.8,
        2.2,
    )  # cervical ICA (diameter 3.6-4.4 mm); all other radii follow Murray's law
    leaf_radius_mm: Range = (0.45, 0.6)  # distal cortical branches before the global Murray scaling
    perforator_radius_mm: Range = (0.22, 0.32)  # lenticulostriate / anterior choroidal arteries
    tortuosity_mm: Range = (0.6, 2.2)  # amplitude of the random meander of the larger arteries
    sample_step_mm: float = 1.0  # centre-line sampling
    piece_length_mm: float = 12.0  # arteries are cut into pieces of this length, each with its own curve

    # --- haemodynamics -----------------------------------------------------------------------------------
    bolus_arrival_s: Range = (0.5, 1.4)  # contrast reaches the catheter tip after the first frame
    aif_alpha: Range = (2.5, 3.5)  # gamma-variate shape of the arterial input (Thompson 1964, Madsen 1992)
    aif_beta_s: Range = (0.28, 0.42)  # gamma-variate scale; time to peak = alpha * beta ~ 0.7-1.5 s
    ica_velocity_mm_s: Range = (300.0, 450.0)  # mean ICA velocity during injection; v ~ r (Murray)
    min_velocity_mm_s: float = 60.0
    dispersion_length_mm: float = 150.0  # beta grows as sqrt(1 + path / length) (Taylor dispersion)
    capillary_mtt_s: Range = (2.6, 3.8)  # cerebral mean transit time (perfusion imaging: 3-4 s)
    capillary_shape: float = 3.0  # gamma shape of the capillary transit-time distribution
    venous_delay_s: Range = (0.5, 1.0)  # cortical vein -> sinus transit
    stump_washout_factor: Range = (1.3, 1.8)  # contrast stagnates in a dead-end stump: broader curve

    # --- collaterals (per occlusion class): delay (s), peak ratio, curve broadening ------------------------
    collateral_delay_s: dict[str, Range] = field(
        default_factory=lambda: {
            'M1': (1.0, 2.5),
            'M2': (0.8, 1.8),
            'ICA_intracranial': (2.0, 3.5),
            'ICA_extracranial': (2.5, 4.0),
            'unknown': (0.6, 1.5),
        }
    )
    collateral_peak_ratio: dict[str, Range] = field(
        default_factory=lambda: {
            'M1': (0.55, 0.9),
            'M2': (0.6, 0.95),
            'ICA_intracranial': (0.0, 0.35),
            'ICA_extracranial': (0.0, 0.3),
            'unknown': (0.6, 0.95),
        }
    )
    collateral_broadening: Range = (1.6, 2.4)
    retrograde_velocity_mm_s: Range = (60.0, 120.0)
    retrograde_decay_mm: Range = (250.0, 500.0)  # collateral opacity falls as exp(-retrograde path / decay)

    # --- X-ray image formation ---------------------------------------------------------------------------
    iodine_mu_per_mm: Range = (0.10, 0.16)  # attenuation of undiluted-bolus blood (peak AIF) at ~60 keV
    low_contrast_factor: Range = (0.4, 0.6)  # 'unknown' low-contrast studies
    mu_soft_per_mm: float = 0.020  # water/brain at ~60 keV (0.2 /cm)
    mu_bone_per_mm: float = 0.048  # cortical bone at ~60 keV
    blush_sigma_mm: Range = (6.0, 10.0)  # parenchymal spread of the capillary blush around a leaf artery
    blush_blood_mm: Range = (2.5, 4.0)  # iodine-equivalent blood thickness of the parenchymal blush
    dose_quanta: Range = (1500.0, 4000.0)  # detected quanta / pixel / frame behind the head at 512 px
    mask_frames: int = 4  # frames averaged into the mask (lower noise)
    detector_blur_mm: Range = (0.20, 0.35)  # Gaussian PSF sigma at the detector
    heel_effect: Range = (0.0, 0.12)  # linear intensity gradient across the field
    motion_probability: float = 0.35
    motion_shift_mm: Range = (0.03, 0.25)  # drift amplitude over the run
    motion_rotation_deg: Range = (0.0, 0.2)
    background_level: float = 0.75  # stored value of 'no iodine' as a fraction of the stored range
    display_gain: float = 0.85  # stored range per unit log-attenuation (DSA = ln I_mask - ln I_frame)

    def __post_init__(self) -> None:
        self.classes = tuple(self.classes)
        unknown = [c for c in self.classes if c not in CLASS_NAMES]
        if unknown or not self.classes:
            raise ValueError(f'classes must be a non-empty subset of {CLASS_NAMES}, got {self.classes}')
        if self.bits_stored not in (10, 12):
            raise ValueError(f'bits_stored must be 10 or 12, got {self.bits_stored}')
        if self.compress not in ('none', 'rle'):
            raise ValueError(f"compress must be 'none' or 'rle', got {self.compress!r}")
        if not 1 <= self.frames_min <= self.frames_max:
            raise ValueError(f'need 1 <= frames_min <= frames_max, got {self.frames_min}, {self.frames_max}')
        if not 0 < self.fps_min <= self.fps_max:
            raise ValueError(f'need 0 < fps_min <= fps_max, got {self.fps_min}, {self.fps_max}')
        self.duration_s = (float(self.duration_s[0]), float(self.duration_s[1]))
        if not 0 < self.duration_s[0] <= self.duration_s[1]:
            raise ValueError(f'need 0 < duration_s[0] <= duration_s[1], got {self.duration_s}')
        if not 0.0 <= self.occlusion_fraction <= 1.0:
            raise ValueError(f'occlusion_fraction must be in [0, 1], got {self.occlusion_fraction}')
        if self.size < 32:
            raise ValueError(f'size must be >= 32, got {self.size}')

    def replace(self, **changes) -> SynthParams:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
