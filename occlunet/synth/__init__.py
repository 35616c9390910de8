"""Physically motivated synthetic cerebral DSA: a 3-D arterial/venous tree, contrast haemodynamics with
occlusions and collaterals, PA + LAT X-ray projections with noise/motion/subtraction, XA DICOM output.

>>> from occlunet.synth import SynthParams, simulate_study
>>> sim = simulate_study(3, seed=0, params=SynthParams(size=128), occlusion='M1')  # doctest: +SKIP
>>> sim.views['PA'].dsa.shape, sim.category, sim.frame_start, sim.frame_end  # doctest: +SKIP

``generate_dataset(out_dir, num_studies, size=512, seed=0, preset='v2', **params)`` writes a whole dataset
with its data card (``tools/make_synthetic.py`` is its command line; ``preset='v1'`` reproduces generator
1.0.0); ``build_data_card(root)`` describes an existing one (``tools/analysis/data_card.py``). The physics
is described in docs/synthetic_data.md.
"""

from .collaterals import CollateralDraws
from .config import CATEGORIES, CATEGORY_ID, CLASS_NAMES, COLLATERAL_GRADES, GENERATOR_VERSION, SynthParams
from .data_card import build_data_card, card_markdown, write_data_card
from .dataset_writer import generate_dataset, recorded_version, split_studies
from .deficit import deficit_shares, paired_deficits, study_deficits
from .dicom_writer import XAHeader, build_dataset, write_xa
from .haemodynamics import Curves, gamma_variate
from .occlusion import Occlusion
from .presets import DEFAULT_PRESET, PRESET_VERSIONS, PRESETS, params_from_info, preset_params
from .projection import ViewGeometry
from .study import StudySimulation, ViewSimulation, simulate_study
from .vessel_tree import Segment, VesselTree

__all__ = [
    'CATEGORIES',
    'CATEGORY_ID',
    'CLASS_NAMES',
    'COLLATERAL_GRADES',
    'DEFAULT_PRESET',
    'GENERATOR_VERSION',
    'PRESETS',
    'PRESET_VERSIONS',
    'CollateralDraws',
    'Curves',
    'Occlusion',
    'Segment',
    'StudySimulation',
    'SynthParams',
    'VesselTree',
    'ViewGeometry',
    'ViewSimulation',
    'XAHeader',
    'build_data_card',
    'build_dataset',
    'card_markdown',
    'deficit_shares',
    'gamma_variate',
    'generate_dataset',
    'paired_deficits',
    'params_from_info',
    'preset_params',
    'recorded_version',
    'simulate_study',
    'split_studies',
    'study_deficits',
    'write_data_card',
    'write_xa',
]
