"""Transfer syntaxes the loader reads, and the check that a decoder for them is installed."""

from __future__ import annotations

import os

from pydicom import uid as _uid
from pydicom.pixels import get_decoder

from .errors import DSAFormatError

__all__ = ['ENCAPSULATED_SYNTAXES', 'NATIVE_SYNTAXES', 'SUPPORTED_TRANSFER_SYNTAXES', 'check_transfer_syntax']

# Uncompressed: decoded by the loader itself with numpy (pydicom inflates the deflated one while reading).
NATIVE_SYNTAXES: frozenset[str] = frozenset(
    {
        _uid.ImplicitVRLittleEndian,
        _uid.ExplicitVRLittleEndian,
        _uid.DeflatedExplicitVRLittleEndian,
        _uid.ExplicitVRBigEndian,
    }
)

# Compressed: decoded through pydicom's pixel decoders; value = the pip packages that provide the decoder.
ENCAPSULATED_SYNTAXES: dict[str, str] = {
    _uid.RLELossless: 'pylibjpeg pylibjpeg-rle',
    _uid.JPEGBaseline8Bit: 'pylibjpeg pylibjpeg-libjpeg',
    _uid.JPEGExtended12Bit: 'pylibjpeg pylibjpeg-libjpeg',
    _uid.JPEGLossless: 'pylibjpeg pylibjpeg-libjpeg',
    _uid.JPEGLosslessSV1: 'pylibjpeg pylibjpeg-libjpeg',
    _uid.JPEGLSLossless: 'pylibjpeg pylibjpeg-libjpeg',
    _uid.JPEGLSNearLossless: 'pylibjpeg pylibjpeg-libjpeg',
    _uid.JPEG2000Lossless: 'pylibjpeg pylibjpeg-openjpeg',
    _uid.JPEG2000: 'pylibjpeg pylibjpeg-openjpeg',
    _uid.HTJ2KLossless: 'pylibjpeg pylibjpeg-openjpeg',
    _uid.HTJ2KLosslessRPCL: 'pylibjpeg pylibjpeg-openjpeg',
    _uid.HTJ2K: 'pylibjpeg pylibjpeg-openjpeg',
}

SUPPORTED_TRANSFER_SYNTAXES: frozenset[str] = NATIVE_SYNTAXES | frozenset(ENCAPSULATED_SYNTAXES)


def check_transfer_syntax(uid: str, path: str | os.PathLike) -> _uid.UID:
    """Return ``uid`` as a pydicom UID if the loader can decode it, else raise ``DSAFormatError``.

    Refuses unknown syntaxes (video, JPIP, private ...) and compressed syntaxes whose decoder plugin is not
    installed, naming the package(s) to install.
    """
    ts = _uid.UID(str(uid).strip().rstrip('\0'))
    label = f'TransferSyntaxUID={ts}' + (f' ({ts.name})' if ts.name != ts else '')
    if ts not in SUPPORTED_TRANSFER_SYNTAXES:
        raise DSAFormatError(
            path,
            'TransferSyntaxUID',
            f'{label} is not supported (uncompressed, RLE, JPEG, JPEG-LS and JPEG 2000 are)',
        )
    if ts in NATIVE_SYNTAXES:
        return ts
    try:
        decoder = get_decoder(ts)
        available, missing = decoder.is_available, decoder.missing_dependencies
    except Exception as exc:  # pydicom without a decoder class for this syntax
        available, missing = False, [f'{type(exc).__name__}: {exc}']
    if not available:
        raise DSAFormatError(
            path,
            'TransferSyntaxUID',
            f'{label} has no pixel data decoder installed; pip install {ENCAPSULATED_SYNTAXES[ts]}'
            + (f' (pydicom reports: {"; ".join(missing)})' if missing else ''),
        )
    return ts
