"""DICOM loading for stroke DSA runs (XA, Enhanced XA, XRF and monochrome exports of other SOP classes).

>>> seq = load_dsa('run.dcm')  # doctest: +SKIP
>>> seq.frames.shape, seq.frames.dtype, seq.view, seq.frame_times[:3]  # doctest: +SKIP
((24, 1024, 1024), dtype('float32'), 'PA', array([0. , 0.25, 0.5 ]))

Every bad file raises :class:`DSAFormatError` (a ``ValueError``) naming the file and the DICOM field.
"""

from .errors import DSAFormatError
from .header import DEFAULT_MAX_FRAMES, DEFAULT_MAX_PIXELS
from .loader import load_dsa, read_dsa_header
from .metadata import view_from_angle
from .pixels import intensity_lut, stored_value_range
from .sequence import DSAHeader, DSASequence, View
from .syntax import SUPPORTED_TRANSFER_SYNTAXES

__all__ = [
    'DEFAULT_MAX_FRAMES',
    'DEFAULT_MAX_PIXELS',
    'DSAFormatError',
    'DSAHeader',
    'DSASequence',
    'SUPPORTED_TRANSFER_SYNTAXES',
    'View',
    'intensity_lut',
    'load_dsa',
    'read_dsa_header',
    'stored_value_range',
    'view_from_angle',
]
