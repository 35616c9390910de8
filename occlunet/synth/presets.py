"""Named presets: the defaults of each generator version, so a data set of an earlier version can be remade.

``v2`` is the current default (clinical run lengths and variable frame rates, ASITN/SIR-graded collaterals,
CCA injection and ECA -> ophthalmic reconstitution for cervical ICA occlusions). ``v1`` restores the
defaults of generator 1.0.0 and switches every later mechanism off, so that with the same seed it writes the
same DICOM files and annotations as 1.0.0 did.

>>> from occlunet.synth.presets import preset_params
>>> preset_params('v1', size=64).frames_max
20
"""

from __future__ import annotations

from typing import Any

from .config import GENERATOR_VERSION, SynthParams

#: Field values that turn the current generator into an earlier one (fields not named keep the default).
PRESETS: dict[str, dict[str, Any]] = {
    'v1': {
        'frames_min': 10,
        'frames_max': 20,
        'fps_min': 2.0,
        'fps_max': 4.0,
        'duration_s': (6.0, 9.0),
        'two_rate_probability': 0.0,
        'cervical_ica_cca_injection': False,
        'collateral_model': 'class',
        'eca_ophthalmic_probability': 0.0,
    },
    'v2': {},
}
#: The generator version whose default data set each preset reproduces (recorded with the data set).
PRESET_VERSIONS: dict[str, str] = {'v1': '1.0.0', 'v2': GENERATOR_VERSION}
DEFAULT_PRESET = 'v2'


def check_preset(name: str) -> str:
    """``name`` if it is a known preset, else ``ValueError`` naming the known ones."""
    if name not in PRESETS:
        raise ValueError(f'unknown generator preset {name!r}; known: {sorted(PRESETS)}')
    return name


def preset_params(name: str = DEFAULT_PRESET, **overrides: Any) -> SynthParams:
    """The :class:`SynthParams` of preset ``name`` with ``overrides`` (SynthParams fields) applied."""
    return SynthParams(**{**PRESETS[check_preset(name)], **overrides})


def preset_of_version(version: str | None) -> str:
    """The preset that reproduces data of generator ``version`` (None or unknown: the oldest, ``v1``)."""
    for name, preset_version in PRESET_VERSIONS.items():
        if preset_version == version:
            return name
    return 'v1'


def params_from_info(info: dict) -> tuple[str, SynthParams]:
    """Preset name and full :class:`SynthParams` of a data set from its annotation ``info`` block.

    Files of generator 1.0.0 record neither the preset nor the fields added later: those take the values of
    the preset of the recorded ``version``, so the data set can be re-simulated study by study.
    """
    name = info.get('preset') or preset_of_version(info.get('version'))
    known = set(SynthParams.__dataclass_fields__)
    recorded = {k: v for k, v in (info.get('params') or {}).items() if k in known}
    return name, preset_params(name, **recorded)
