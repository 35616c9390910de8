"""Pixel decoding and the fixed intensity mapping to float32 [0, 1].

Intensity map (no per-image stretching): stored value v (low ``BitsStored`` bits of each
``BitsAllocated`` word, sign-extended when ``PixelRepresentation`` = 1; garbage high bits are ignored)
-> r = RescaleSlope * v + RescaleIntercept -> x = (r - lo) / (hi - lo), where lo/hi are the min/max of the
rescaled ends of the range representable by BitsStored/PixelRepresentation (so a negative slope still maps
onto [0, 1]) -> clipped to [0, 1] (float guard only) -> 1 - x for MONOCHROME1. Contrast-filled vessels are
dark. All of this is folded into one lookup table indexed by the raw ``BitsAllocated``-bit word, so the
conversion is a single ``np.take`` pass per array with no float64 temporaries.

Uncompressed syntaxes are read straight from the PixelData bytes with ``np.frombuffer`` (the length is
checked against NumberOfFrames x Rows x Columns first). Compressed syntaxes are split into frames with
:mod:`pydicom.encaps` (the frame count is checked against NumberOfFrames before anything is decoded) and
decoded frame by frame through pydicom's decoders (the pylibjpeg plugins, preferred where several exist).
"""

from __future__ import annotations

import io
import os
import warnings

import numpy as np
from pydicom import uid as _uid
from pydicom.dataset import Dataset
from pydicom.encaps import generate_fragmented_frames, parse_basic_offsets, parse_fragments
from pydicom.pixels import get_decoder

from .errors import DSAFormatError
from .fields import safe_value
from .sequence import DSAHeader
from .syntax import NATIVE_SYNTAXES

__all__ = ['decode_frames', 'intensity_lut', 'stored_value_range']

_EOI = b'\xff\xd9'
_EOI_WINDOW = 16  # bytes at the end of a frame searched for the EOI/EOC marker (trailing padding allowed)
# Failures of decoder plugins that are not Exceptions (pyo3's PanicException derives from BaseException).
_NOT_DECODE_ERRORS = (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError)


def stored_value_range(bits_stored: int, pixel_representation: int) -> tuple[int, int]:
    """Smallest and largest value representable with ``bits_stored`` bits (two's complement if signed)."""
    if pixel_representation:
        return -(1 << (bits_stored - 1)), (1 << (bits_stored - 1)) - 1
    return 0, (1 << bits_stored) - 1


def intensity_lut(
    bits_allocated: int,
    bits_stored: int,
    pixel_representation: int,
    rescale_slope: float = 1.0,
    rescale_intercept: float = 0.0,
    monochrome1: bool = False,
) -> np.ndarray:
    """float32 table of ``2**bits_allocated`` entries: raw unsigned word -> mapped intensity in [0, 1]."""
    codes = np.arange(1 << bits_allocated, dtype=np.int64)
    stored = codes & ((1 << bits_stored) - 1)
    if pixel_representation:
        sign_bit = 1 << (bits_stored - 1)
        stored = (stored ^ sign_bit) - sign_bit  # two's-complement sign extension of BitsStored bits
    low, high = stored_value_range(bits_stored, pixel_representation)
    ends = (rescale_slope * low + rescale_intercept, rescale_slope * high + rescale_intercept)
    lo, hi = min(ends), max(ends)
    mapped = (rescale_slope * stored.astype(np.float64) + rescale_intercept - lo) / (hi - lo)
    np.clip(mapped, 0.0, 1.0, out=mapped)
    if monochrome1:
        mapped = 1.0 - mapped
    return mapped.astype(np.float32)


def _lut_for(header: DSAHeader) -> np.ndarray:
    return intensity_lut(
        header.bits_allocated,
        header.bits_stored,
        header.pixel_representation,
        header.rescale_slope,
        header.rescale_intercept,
        header.photometric_interpretation == 'MONOCHROME1',
    )


def _pixel_bytes(ds: Dataset, path: str | os.PathLike) -> bytes:
    try:
        present = 'PixelData' in ds
        data = ds['PixelData'].value if present else None
    except Exception as exc:
        raise DSAFormatError(
            path, 'PixelData', f'PixelData: unreadable ({type(exc).__name__}: {exc})'
        ) from exc
    if data is None or len(data) == 0:
        raise DSAFormatError(
            path, 'PixelData', 'PixelData is missing or empty (file truncated, or no image in this file)'
        )
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DSAFormatError(
            path, 'PixelData', f'PixelData has an unexpected value type {type(data).__name__}'
        )
    return data


def _native_codes(ds: Dataset, header: DSAHeader, path: str | os.PathLike) -> np.ndarray:
    """Raw unsigned words ``(T, H, W)`` viewed (no copy when possible) from uncompressed PixelData."""
    data = _pixel_bytes(ds, path)
    itemsize = header.bits_allocated // 8
    frame_bytes = header.height * header.width * itemsize
    expected = header.num_frames * frame_bytes
    actual = len(data)
    if actual < expected:
        raise DSAFormatError(
            path,
            'PixelData',
            f'PixelData is truncated: expected {expected} bytes (NumberOfFrames={header.num_frames} x '
            f'Rows={header.height} x Columns={header.width} x {itemsize} bytes), got {actual}',
        )
    if actual >= expected + frame_bytes:
        raise DSAFormatError(
            path,
            'NumberOfFrames',
            f'NumberOfFrames={header.num_frames} does not match the PixelData: {actual} bytes hold '
            f'{actual // frame_bytes} frames of {frame_bytes} bytes',
        )
    big_endian = header.transfer_syntax_uid == _uid.ExplicitVRBigEndian
    if itemsize == 1:
        if big_endian and getattr(ds['PixelData'], 'VR', 'OB') == 'OW':
            # 8-bit data written as OW in big endian: bytes are swapped pairwise.
            even = np.frombuffer(data, dtype='>u2', count=(expected + 1) // 2)
            codes = even.astype('<u2').view(np.uint8)[:expected]
        else:
            codes = np.frombuffer(data, dtype=np.uint8, count=expected)
    else:
        codes = np.frombuffer(data, dtype='>u2' if big_endian else '<u2', count=expected // 2)
    return codes.reshape(header.shape)


def _encapsulated_frames(ds: Dataset, header: DSAHeader, path: str | os.PathLike) -> None:
    """Check the number of encoded frames in the encapsulated PixelData against NumberOfFrames.

    Frames are delimited by the Extended Offset Table if present, else the Basic Offset Table, else one
    fragment per frame (or JPEG end-of-image markers when there are more fragments than frames), as in
    :func:`pydicom.encaps.generate_fragmented_frames`. RLE requires exactly one fragment per frame.
    """
    data = bytes(_pixel_bytes(ds, path))
    offsets = safe_value(ds, 'ExtendedOffsetTable')
    lengths = safe_value(ds, 'ExtendedOffsetTableLengths')
    extended = (bytes(offsets), bytes(lengths)) if offsets is not None and lengths is not None else None
    if extended is not None and len(extended[0]) != len(extended[1]):
        raise DSAFormatError(
            path, 'ExtendedOffsetTable', 'ExtendedOffsetTable and ExtendedOffsetTableLengths differ in length'
        )
    expected = header.num_frames
    try:
        stream = io.BytesIO(data)
        basic_offsets = parse_basic_offsets(stream)
        fragments, _ = parse_fragments(stream)
    except Exception as exc:
        raise DSAFormatError(
            path,
            'PixelData',
            f'PixelData: not valid encapsulated pixel data ({type(exc).__name__}: {exc})',
        ) from exc
    rle = header.transfer_syntax_uid == _uid.RLELossless
    if (rle and fragments != expected) or (extended is None and not basic_offsets and fragments < expected):
        raise DSAFormatError(
            path,
            'NumberOfFrames',
            f'NumberOfFrames={expected} but the encapsulated PixelData holds {fragments} fragment(s)'
            + (' (RLE needs one fragment per frame)' if rle else ''),
        )
    jpeg_family = not rle
    count = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            for frame_fragments in generate_fragmented_frames(
                data, number_of_frames=expected, extended_offsets=extended
            ):
                # JPEG / JPEG-LS / JPEG 2000 codestreams end with an EOI/EOC marker (FFD9), possibly followed
                # by padding. Without it the frame is truncated, and some decoders would silently fill in.
                if jpeg_family and count < expected and _EOI not in frame_fragments[-1][-_EOI_WINDOW:]:
                    raise DSAFormatError(
                        path,
                        'PixelData',
                        f'PixelData: frame {count} codestream has no end-of-image marker (truncated?)',
                    )
                count += 1
    except DSAFormatError:
        raise
    except MemoryError:
        raise
    except Exception as exc:
        raise DSAFormatError(
            path,
            'PixelData',
            f'PixelData: encapsulated pixel data cannot be split into frames ({type(exc).__name__}: {exc})',
        ) from exc
    if count != expected:
        raise DSAFormatError(
            path,
            'NumberOfFrames',
            f'NumberOfFrames={expected} but the encapsulated PixelData holds {count} frame(s)'
            + (f' (Basic Offset Table: {len(basic_offsets)} entries)' if basic_offsets else ''),
        )


def _as_codes(frame: np.ndarray, bits_allocated: int) -> np.ndarray:
    """A decoded frame as raw unsigned ``bits_allocated`` words (two's complement for signed dtypes)."""
    kind = 'i' if frame.dtype.kind == 'i' else 'u'
    target = np.dtype(f'{kind}{bits_allocated // 8}')
    if frame.dtype != target:
        frame = frame.astype(target)
    return frame.view(f'u{bits_allocated // 8}')


def _decode_encapsulated(
    ds: Dataset, header: DSAHeader, lut: np.ndarray, path: str | os.PathLike
) -> np.ndarray:
    _encapsulated_frames(ds, header, path)
    decoder = get_decoder(header.transfer_syntax_uid)
    plugin = 'pylibjpeg' if 'pylibjpeg' in decoder.available_plugins else ''
    out = None
    done = 0
    try:
        frames = decoder.iter_array(ds, raw=True, decoding_plugin=plugin, allow_excess_frames=False)
        for frame, _ in frames:
            if done == header.num_frames:
                break
            if frame.shape != (header.height, header.width):
                raise ValueError(
                    f'decoded frame has shape {frame.shape}, expected {(header.height, header.width)}'
                )
            if out is None:
                out = np.empty(header.shape, dtype=np.float32)
            np.take(lut, _as_codes(frame, header.bits_allocated), mode='clip', out=out[done])
            done += 1
    except _NOT_DECODE_ERRORS:
        raise
    except BaseException as exc:  # plugin errors, including Rust panics surfacing as BaseException
        name = _uid.UID(header.transfer_syntax_uid).name
        raise DSAFormatError(
            path,
            'PixelData',
            f'PixelData: cannot decode frame {done} ({name}): {type(exc).__name__}: {exc}',
        ) from exc
    if out is None or done != header.num_frames:
        raise DSAFormatError(
            path, 'PixelData', f'PixelData: decoded {done} of NumberOfFrames={header.num_frames} frames'
        )
    return out


def decode_frames(ds: Dataset, header: DSAHeader, path: str | os.PathLike | None = None) -> np.ndarray:
    """Decode ``ds``'s PixelData (validated against ``header``) to float32 ``(T, H, W)`` in [0, 1]."""
    path = header.path if path is None else path
    lut = _lut_for(header)
    if header.transfer_syntax_uid in NATIVE_SYNTAXES:
        codes = _native_codes(ds, header, path)
        out = np.empty(header.shape, dtype=np.float32)
        for frame_codes, frame_out in zip(codes, out):  # np.take copies its indices as int64: one frame's
            np.take(lut, frame_codes, mode='clip', out=frame_out)
        return out
    return _decode_encapsulated(ds, header, lut, path)
