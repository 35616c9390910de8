"""Generator parameters (one dataclass) with defaults taken from the angiography / X-ray literature.

Lengths are in mm, times in s, attenuation coefficients in 1/mm. Pairs ``(lo, hi)`` are ranges that each
study samples uniformly from (per-study variability). See docs/synthetic_data.md for the sources. The
defaults are those of the current generator version; the defaults of earlier versions are named presets
(:mod:`.presets`, ``--preset v1``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

GENERATOR_VERSION = '2.0.0'

#: ASITN/SIR collateral grades 0 (none) .. 4 (rapid and complete), Higashida et al., Stroke 2003.
COLLATERAL_GRADES: tuple[int, ...] = (0, 1, 2, 3, 4)

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

COLLATERAL_MODELS: tuple[str, ...] = ('graded', 'class')
GRADE_FIELDS: tuple[str, ...] = (
    'collateral_grade_delay_s',
    'collateral_grade_ratio',
    'collateral_grade_decay_mm',
)


@dataclass
class SynthParams:
    """Every knob of the generator. ``SynthParams(**overrides)``; unknown names raise ``TypeError``."""

    # --- acquisition (docs/synthetic_data.md, "Acquisition") ------------------------------------------
    size: int = 512  # Rows = Columns
    frames_min: int = 3  # MR CLEAN Registry runs have 3-76 frames (OccluNet paper, Sec. 3.1)
    frames_max: int = 76
    fps_min: float = 2.0  # "DSA is acquired in 2-4 frames per second" (OccluNet paper, Sec. 1): the rate of a
    fps_max: float = 4.0  #   constant-rate run and of the arterial phase of a two-rate run
    fps_step: float = 0.5  # frame rates are drawn from fps_min, fps_min + step, ..., fps_max
    duration_s: Range = (10.0, 16.0)  # run length from the first (pre-contrast) frame into the late venous
    # phase: clinical runs last 4-20 s, mean 10.7 s (Mittmann et al. 2022: 13-61 frames at 3 frames/s); the
    # generator's sinuses peak 9-11.5 s after the first frame (siphon -> cortical vein 5-6 s here, ~4 s in
    # Greitz 1956), so its runs are ~2 s longer. frames = clip(round(duration * fps), frames_min, frames_max)
    two_rate_probability: float = 0.3  # variable-rate protocols (fast arterial, slow venous phase), written
    # with FrameTimeVector; no published share: generator's choice (a minority: Mittmann et al.'s runs are
    # all at 3 frames/s)
    arterial_phase_s: Range = (4.0, 6.0)  # a two-rate run slows down after this time: past the arterial phase
    # (ICA peak 1.6-3 s after the first frame here) into the capillary blush (peak 5-7 s)
    late_fps: tuple[float, ...] = (1.0, 1.5, 2.0)  # slower rate after the switch (registry: 1-4 frames/s),
    # drawn among those below the arterial rate
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
    cervical_ica_cca_injection: bool = True  # a cervical ICA clot cannot be passed: the catheter injects the
    # CCA below it, so the ECA always fills (Thanvi & Robinson 2007)
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

    # --- collaterals (docs/synthetic_data.md, "Collaterals") ---------------------------------------------
    collateral_model: str = 'graded'  # 'graded': per-study ASITN/SIR grade (below); 'class': per-class ranges
    # (collateral_delay_s, collateral_peak_ratio, retrograde_decay_mm), generator 1.0.0
    collateral_grade_weights: tuple[float, ...] = (7.0, 23.0, 62.0, 62.0, 7.0)  # grades 0-4 of 161 M1 /
    # intracranial ICA occlusions scored by the IMS III angiography core lab (Stroke 2016;47:AWMP3)
    # grade -> (lo, hi) ranges of the retrograde filling, from the ASITN/SIR definitions (Higashida 2003):
    # 1 slow, periphery only; 2 rapid, periphery and part of the territory; 3 slow but complete by the late
    # venous phase; 4 rapid and complete. 'rapid': during the capillary phase; 'slow': in the venous phase.
    collateral_grade_delay_s: tuple[Range, ...] = ((0.0, 0.0), (2.0, 4.0), (0.5, 1.5), (2.0, 4.0), (0.3, 1.0))
    collateral_grade_ratio: tuple[Range, ...] = ((0.0, 0.0), (0.2, 0.4), (0.4, 0.7), (0.7, 0.9), (0.85, 1.0))
    collateral_grade_decay_mm: tuple[Range, ...] = (
        (1.0, 1.0),
        (30.0, 60.0),  # periphery: e^-1 within 30-60 mm of retrograde path from the cortical tips
        (60.0, 120.0),
        (400.0, 800.0),  # whole territory (an M1 clot is 30-120 mm of path from the nearest cortical tip)
        (400.0, 800.0),
    )
    eca_ophthalmic_probability: float = 0.6  # cervical ICA occlusion: the siphon reconstitutes through ECA ->
    # ophthalmic collaterals (seen on DSA in 60 of 100 ICA occlusions, Ital J Anat Embryol 1993;98:23)
    reconstitution_delay_s: Range = (1.0, 2.5)  # periorbital ECA branches -> ophthalmic origin (retrograde)
    reconstitution_fraction: Range = (0.05, 0.25)  # opacified share of the reconstituted intracranial flow:
    # the circle of Willis (ACom, PCom) brings most of it unopacified (van Laar 2007; reversed ophthalmic
    # flow -5 +- 28 mL/min vs 134-261 mL/min ICA flow by 4D flow MRI, Stroke 2019, PMC6485302)
    # 'class' model (generator 1.0.0): per occlusion class, delay (s), peak ratio
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
    retrograde_decay_mm: Range = (
        250.0,
        500.0,
    )  # 'class' model: opacity falls as exp(-retrograde path / decay)

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
        if not 0.0 <= self.two_rate_probability <= 1.0:
            raise ValueError(f'two_rate_probability must be in [0, 1], got {self.two_rate_probability}')
        self.late_fps = tuple(float(f) for f in self.late_fps)
        if self.two_rate_probability > 0 and (not self.late_fps or min(self.late_fps) <= 0):
            raise ValueError(f'late_fps must be positive frame rates, got {self.late_fps}')
        if self.collateral_model not in COLLATERAL_MODELS:
            raise ValueError(
                f'collateral_model must be one of {COLLATERAL_MODELS}, got {self.collateral_model!r}'
            )
        for name in GRADE_FIELDS:
            value = tuple(tuple(float(x) for x in pair) for pair in getattr(self, name))
            if len(value) != len(COLLATERAL_GRADES) or any(len(pair) != 2 for pair in value):
                raise ValueError(f'{name} needs one (lo, hi) pair per grade {COLLATERAL_GRADES}, got {value}')
            setattr(self, name, value)
        self.collateral_grade_weights = tuple(float(w) for w in self.collateral_grade_weights)
        weights = self.collateral_grade_weights
        if len(weights) != len(COLLATERAL_GRADES) or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f'collateral_grade_weights needs 5 non-negative weights, got {weights}')
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
