"""Physically motivated synthetic cerebral DSA: a 3-D arterial/venous tree, contrast haemodynamics with
occlusions and collaterals, PA + LAT X-ray projections with noise/motion/subtraction, XA DICOM output.

>>> from occlunet.synth import SynthParams, simulate_study
>>> sim = simulate_study(3, seed=0, params=SynthParams(size=128), occlusion='M1')  # doctest: +SKIP
>>> sim.views['PA'].dsa.shape, sim.category, sim.frame_start, sim.frame_end  # doctest: +SKIP

``generate_dataset(out_dir, num_studies, size=512, seed=0, **params)`` writes a whole dataset
(``tools/make_synthetic.py`` is its command line). The physics is described in docs/synthetic_data.md.
"""

from .config import CATEGORIES, CATEGORY_ID, CLASS_NAMES, GENERATOR_VERSION, SynthParams
from .dataset_writer import generate_dataset, split_studies
from .dicom_writer import XAHeader, build_dataset, write_xa
from .haemodynamics import Curves, gamma_variate
from .occlusion import Occlusion
from .projection import ViewGeometry
from .study import StudySimulation, ViewSimulation, simulate_study
from .vessel_tree import Segment, VesselTree

__all__ = [
    'CATEGORIES',
    'CATEGORY_ID',
    'CLASS_NAMES',
    'GENERATOR_VERSION',
    'Curves',
    'Occlusion',
    'Segment',
    'StudySimulation',
    'SynthParams',
    'VesselTree',
    'ViewGeometry',
    'ViewSimulation',
    'XAHeader',
    'build_dataset',
    'gamma_variate',
    'generate_dataset',
    'simulate_study',
    'split_studies',
    'write_xa',
]
