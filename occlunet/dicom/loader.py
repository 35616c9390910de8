"""Public entry points: :func:`load_dsa` and :func:`read_dsa_header`."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from pydicom import dcmread
from pydicom.tag import Tag

from .errors import DSAFormatError
from .header import DEFAULT_MAX_FRAMES, DEFAULT_MAX_PIXELS, parse_header, read_header_dataset
from .pixels import decode_frames
from .sequence import DSAHeader, DSASequence

__all__ = ['load_dsa', 'read_dsa_header']

_PIXEL_TAGS = ['PixelData', 'ExtendedOffsetTable', 'ExtendedOffsetTableLengths']
T = TypeVar('T')


def read_dsa_header(
    path: str | os.PathLike, *, max_frames: int = DEFAULT_MAX_FRAMES, max_pixels: int = DEFAULT_MAX_PIXELS
) -> DSAHeader:
    """Read and validate a DSA file's header without reading its pixel data.

    Raises :class:`DSAFormatError` for every header problem :func:`load_dsa` would refuse the file for
    (so a file that passes here can only fail later on its pixel data); ``OSError`` for an unreadable path.
    """
    ds = read_header_dataset(path)
    return _guarded('header', path, parse_header, ds, path, max_frames=max_frames, max_pixels=max_pixels)


def load_dsa(
    path: str | os.PathLike, *, max_frames: int = DEFAULT_MAX_FRAMES, max_pixels: int = DEFAULT_MAX_PIXELS
) -> DSASequence:
    """Load a DSA run as float32 ``(T, H, W)`` frames in [0, 1] plus its metadata.

    The header is read first (``stop_before_pixels=True``) and validated -- including the size limits
    ``NumberOfFrames <= max_frames`` and ``NumberOfFrames * Rows * Columns <= max_pixels`` -- before the pixel
    data is read or decoded. Every problem with the file's content raises :class:`DSAFormatError`
    (a ``ValueError``) whose message starts with the file's name and names the DICOM field; a path that
    cannot be opened raises ``OSError``. Nothing is written to disk.
    """
    ds = read_header_dataset(path)
    header = _guarded('header', path, parse_header, ds, path, max_frames=max_frames, max_pixels=max_pixels)
    try:
        pixels = dcmread(path, specific_tags=_PIXEL_TAGS, force=True)  # the header read vetted the file
    except (OSError, MemoryError):
        raise
    except Exception as exc:
        raise DSAFormatError(
            path, 'PixelData', f'PixelData: unreadable ({type(exc).__name__}: {exc})'
        ) from exc
    for keyword in _PIXEL_TAGS:
        tag = Tag(keyword)
        if tag in pixels:
            # the raw element: its (possibly ambiguous) VR is resolved against the full header in ``ds``
            ds[tag] = pixels.get_item(tag)
    frames = _guarded('PixelData', path, decode_frames, ds, header, path)
    return DSASequence.from_header(frames, header)


def _guarded(field: str, path: str | os.PathLike, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``func``, turning any exception that is not already a DSAFormatError into one.

    Bad input must never surface as a raw KeyError/AttributeError/struct.error; OSError and MemoryError
    pass through.
    """
    try:
        return func(*args, **kwargs)
    except (DSAFormatError, OSError, MemoryError):
        raise
    except Exception as exc:
        raise DSAFormatError(path, field, f'{field}: {type(exc).__name__}: {exc}') from exc
