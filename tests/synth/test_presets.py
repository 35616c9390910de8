"""Named presets: ``v1`` is generator 1.0.0 (its defaults and its data, byte for byte); ``v2`` the default."""

from __future__ import annotations

import hashlib
import json

import pytest

from occlunet.synth import (
    GENERATOR_VERSION,
    PRESET_VERSIONS,
    SynthParams,
    generate_dataset,
    params_from_info,
    preset_params,
    recorded_version,
)

#: The defaults of generator 1.0.0 that 2.0.0 changed.
V1_DEFAULTS = dict(frames_min=10, frames_max=20, fps_min=2.0, fps_max=4.0, duration_s=(6.0, 9.0))

#: SynthParams fields of generator 1.0.0 (what its annotation files record).
V1_FIELDS = {
    'size', 'frames_min', 'frames_max', 'fps_min', 'fps_max', 'fps_step', 'duration_s', 'bits_stored',
    'compress', 'field_of_view_mm', 'magnification', 'positioner_jitter_deg', 'occlusion_fraction', 'classes',
    'class_weights', 'cca_injection_probability', 'pcom_probability', 'anterior_temporal_probability',
    'trifurcation_probability', 'ica_radius_mm', 'leaf_radius_mm', 'perforator_radius_mm', 'tortuosity_mm',
    'sample_step_mm', 'piece_length_mm', 'bolus_arrival_s', 'aif_alpha', 'aif_beta_s', 'ica_velocity_mm_s',
    'min_velocity_mm_s', 'dispersion_length_mm', 'capillary_mtt_s', 'capillary_shape', 'venous_delay_s',
    'stump_washout_factor', 'collateral_delay_s', 'collateral_peak_ratio', 'collateral_broadening',
    'retrograde_velocity_mm_s', 'retrograde_decay_mm', 'iodine_mu_per_mm', 'low_contrast_factor',
    'mu_soft_per_mm', 'mu_bone_per_mm', 'blush_sigma_mm', 'blush_blood_mm', 'dose_quanta', 'mask_frames',
    'detector_blur_mm', 'heel_effect', 'motion_probability', 'motion_shift_mm', 'motion_rotation_deg',
    'background_level', 'display_gain',
}  # fmt: skip

#: SHA-256 (first 16 hex digits) of the files generator 1.0.0 wrote for GOLDEN_ARGS (every class and a run
#: without occlusion; captured with occlunet at commit 5dc80fb), and of its videos / annotations /
#: categories (json.dumps(..., sort_keys=True)).
GOLDEN_ARGS = dict(size=32, seed=36, frames_min=3, frames_max=4, occlusion_fraction=0.9)
GOLDEN = {
    'S0000_LAT.dcm': '8535435199393cfb',
    'S0000_PA.dcm': 'ee31eedddd83c8bf',
    'S0001_LAT.dcm': 'cfbae56d9a56537a',
    'S0001_PA.dcm': 'fe93387a2fe30004',
    'S0002_LAT.dcm': '6b0dfc0825c3b4cd',
    'S0002_PA.dcm': '7728cd49d5f5e356',
    'S0003_LAT.dcm': '7d6ab7c67024e443',
    'S0003_PA.dcm': '072e2707a696439f',
    'S0004_LAT.dcm': '0de0b268233c72a2',
    'S0004_PA.dcm': '92d752a2913ba9a0',
    'S0005_LAT.dcm': '070bd6858c7474e6',
    'S0005_PA.dcm': '2f9e1cfa5162dbf5',
    'S0006_LAT.dcm': '375b623a3b6029a4',
    'S0006_PA.dcm': '3c20aaa4d37d2851',
    'S0007_LAT.dcm': '40766ea2acd6f56c',
    'S0007_PA.dcm': '9c747fc820e1fb2b',
    'annotations': '0ebeb09dde99d403',
}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def test_v1_preset_reproduces_generator_1_0_0(tmp_path):
    generate_dataset(tmp_path, 8, preset='v1', progress=False, card=False, **GOLDEN_ARGS)
    found = {p.name: _sha(p.read_bytes()) for p in sorted((tmp_path / 'dicom').glob('*.dcm'))}
    data = json.loads((tmp_path / 'annotations' / 'all.json').read_text())
    records = [data['videos'], data['annotations'], data['categories']]
    found['annotations'] = _sha(json.dumps(records, sort_keys=True).encode())
    assert found == GOLDEN
    assert data['info']['version'] == '1.0.0' == recorded_version(tmp_path)
    assert data['info']['preset'] == 'v1' and data['info']['generator_version'] == GENERATOR_VERSION


def test_v1_preset_values():
    p = preset_params('v1')
    assert {k: getattr(p, k) for k in V1_DEFAULTS} == V1_DEFAULTS
    assert p.two_rate_probability == 0.0 and p.collateral_model == 'class'
    assert p.eca_ophthalmic_probability == 0.0 and not p.cervical_ica_cca_injection
    assert preset_params('v2') == SynthParams() and PRESET_VERSIONS['v2'] == GENERATOR_VERSION
    assert preset_params('v1', frames_max=12).frames_max == 12  # overrides win
    with pytest.raises(ValueError, match='unknown generator preset'):
        preset_params('v3')


def test_params_from_info_of_earlier_files():
    """A 1.0.0 annotation file records neither the preset nor the fields added later."""
    recorded = {k: v for k, v in SynthParams(**V1_DEFAULTS, size=48).to_dict().items() if k in V1_FIELDS}
    name, params = params_from_info({'version': '1.0.0', 'params': {**recorded, 'size': 48}})
    assert name == 'v1' and params == preset_params('v1', size=48)
    name, params = params_from_info({'version': GENERATOR_VERSION, 'preset': 'v2', 'params': {'size': 64}})
    assert name == 'v2' and params == SynthParams(size=64)


def test_default_dataset_records_its_version(tiny_dataset):
    root, summary = tiny_dataset
    assert recorded_version(root) == GENERATOR_VERSION == summary['version']
    generator = json.loads((root / 'generator.json').read_text())
    assert generator['preset'] == 'v2' and generator['seed'] == 5
    assert [s['index'] for s in generator['studies']] == list(range(6))
    assert recorded_version(root / 'missing') is None
