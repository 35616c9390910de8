"""Fixtures for the DICOM loader tests: a factory that writes small DSA files in every transfer syntax.

Values are given as *stored values* (ints in the range representable by BitsStored/PixelRepresentation);
the factory encodes them exactly as a scanner would (native two's complement words, RLE/JPEG 2000 through
pydicom's encoders, JPEG / JPEG-LS / HTJ2K through imagecodecs, a test-only dependency).

Test modules get the helpers through the ``dsa`` fixture (a namespace), never by importing this file:
pytest may import it as ``conftest`` or as ``tests.dicom.conftest`` depending on how it is started.
"""

from __future__ import annotations

import datetime
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydicom import uid
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.filebase import DicomFileLike
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.sequence import Sequence

XA = '1.2.840.10008.5.1.4.1.1.12.1'
ENHANCED_XA = '1.2.840.10008.5.1.4.1.1.12.1.1'
XRF = '1.2.840.10008.5.1.4.1.1.12.2'
ENHANCED_XRF = '1.2.840.10008.5.1.4.1.1.12.2.1'
SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7'

SYNTAXES: dict[str, str] = {
    'implicit': uid.ImplicitVRLittleEndian,
    'explicit': uid.ExplicitVRLittleEndian,
    'big': uid.ExplicitVRBigEndian,
    'deflated': uid.DeflatedExplicitVRLittleEndian,
    'rle': uid.RLELossless,
    'jpeg-lossless': uid.JPEGLossless,
    'jpeg-lossless-sv1': uid.JPEGLosslessSV1,
    'jpeg-baseline': uid.JPEGBaseline8Bit,
    'jpeg-ls': uid.JPEGLSLossless,
    'jpeg-ls-near': uid.JPEGLSNearLossless,
    'j2k': uid.JPEG2000Lossless,
    'j2k-lossy': uid.JPEG2000,
    'htj2k': uid.HTJ2KLossless,
}
LOSSY = {'jpeg-baseline', 'jpeg-ls-near', 'j2k-lossy'}


def expected_intensity(
    stored: np.ndarray,
    bits_stored: int,
    signed: bool,
    slope: float = 1.0,
    intercept: float = 0.0,
    monochrome1: bool = False,
) -> np.ndarray:
    """The spec's formula, written independently of the loader: stored -> rescale -> range map -> invert."""
    low, high = (-(2 ** (bits_stored - 1)), 2 ** (bits_stored - 1) - 1) if signed else (0, 2**bits_stored - 1)
    ends = (slope * low + intercept, slope * high + intercept)
    x = (slope * np.asarray(stored, dtype=np.float64) + intercept - min(ends)) / (max(ends) - min(ends))
    x = np.clip(x, 0.0, 1.0)
    return 1.0 - x if monochrome1 else x


def random_stored(shape: tuple[int, ...], bits_stored: int, signed: bool, seed: int = 0) -> np.ndarray:
    """Stored values covering the whole representable range, both ends included."""
    rng = np.random.default_rng(seed)
    low, high = (-(2 ** (bits_stored - 1)), 2 ** (bits_stored - 1) - 1) if signed else (0, 2**bits_stored - 1)
    values = rng.integers(low, high + 1, size=shape, dtype=np.int64)
    flat = values.reshape(-1)
    flat[0], flat[-1] = low, high
    return values


def smooth_stored(shape: tuple[int, ...], bits_stored: int, signed: bool = False) -> np.ndarray:
    """A smooth vessel-like image (lossy codecs give small errors on it)."""
    t, h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    low, high = (-(2 ** (bits_stored - 1)), 2 ** (bits_stored - 1) - 1) if signed else (0, 2**bits_stored - 1)
    frames = []
    for i in range(t):
        vessel = np.exp(-(((xx - w / 2 - i) / (w / 8)) ** 2))
        frames.append(low + (high - low) * (0.15 + 0.7 * (1 - vessel) * (yy + 1) / h))
    return np.rint(np.stack(frames)).astype(np.int64)


def base_dataset(
    rows: int,
    columns: int,
    *,
    number_of_frames: int | None,
    bits_allocated: int = 16,
    bits_stored: int = 12,
    pixel_representation: int = 0,
    photometric: str = 'MONOCHROME2',
    sop_class: str = XA,
    transfer_syntax: str = uid.ExplicitVRLittleEndian,
) -> Dataset:
    ds = Dataset()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = uid.generate_uid()
    meta.TransferSyntaxUID = transfer_syntax
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = uid.generate_uid()
    ds.SeriesInstanceUID = uid.generate_uid()
    ds.PatientID = 'P001'
    ds.Modality = 'XA'
    ds.SeriesDescription = 'ICA run'
    ds.Rows = rows
    ds.Columns = columns
    if number_of_frames is not None:
        ds.NumberOfFrames = number_of_frames
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = pixel_representation
    return ds


def _words(stored: np.ndarray, bits_allocated: int, signed: bool) -> np.ndarray:
    """Stored values as BitsAllocated two's-complement words (what a native file holds)."""
    return stored.astype(np.dtype(f'{"i" if signed else "u"}{bits_allocated // 8}'))


def _unsigned_pattern(stored: np.ndarray, bits_allocated: int, bits_stored: int) -> np.ndarray:
    """Low BitsStored bits of each value, as unsigned words (what a JPEG / JPEG-LS codestream holds)."""
    return (stored & (2**bits_stored - 1)).astype(np.dtype(f'u{bits_allocated // 8}'))


def encode_frames(
    syntax: str, stored: np.ndarray, bits_allocated: int, bits_stored: int, signed: bool
) -> list[bytes]:
    """Codestreams (one per frame) for the imagecodecs-encoded syntaxes."""
    imagecodecs = pytest.importorskip('imagecodecs', reason='imagecodecs (test-only) encodes JPEG/JPEG-LS')
    jpeg = imagecodecs.jpeg8_encode
    frames = []
    for frame in stored:
        pattern = _unsigned_pattern(frame, bits_allocated, bits_stored)
        if syntax == 'jpeg-lossless':
            # process 14 with a non-trivial predictor (selection value 6)
            frames.append(jpeg(pattern, lossless=True, predictor=6, bitspersample=bits_stored))
        elif syntax == 'jpeg-lossless-sv1':
            frames.append(jpeg(pattern, lossless=True, predictor=1, bitspersample=bits_stored))
        elif syntax == 'jpeg-baseline':
            frames.append(imagecodecs.jpeg8_encode(pattern.astype(np.uint8), level=90))
        elif syntax == 'jpeg-ls':
            frames.append(imagecodecs.jpegls_encode(pattern, level=0))
        elif syntax == 'jpeg-ls-near':
            frames.append(imagecodecs.jpegls_encode(pattern, level=2))
        elif syntax == 'htj2k':
            frames.append(imagecodecs.htj2k_encode(_words(frame, bits_allocated, signed), level=0))
        else:  # pragma: no cover - programming error in a test
            raise ValueError(syntax)
    return frames


class DicomFactory:
    """Writes DSA test files into one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def dataset(
        self,
        stored: np.ndarray,
        *,
        syntax: str = 'explicit',
        bits_allocated: int = 16,
        bits_stored: int = 12,
        signed: bool = False,
        photometric: str = 'MONOCHROME2',
        sop_class: str = XA,
        number_of_frames: int | None | str = 'auto',
        attrs: dict[str, Any] | None = None,
        **encode_options: Any,
    ) -> Dataset:
        stored = np.asarray(stored)
        if stored.ndim == 2:
            stored = stored[None]
        t, rows, columns = stored.shape
        frames_attr = t if number_of_frames == 'auto' else number_of_frames
        ds = base_dataset(
            rows,
            columns,
            number_of_frames=frames_attr,
            bits_allocated=bits_allocated,
            bits_stored=bits_stored,
            pixel_representation=int(signed),
            photometric=photometric,
            sop_class=sop_class,
            transfer_syntax=SYNTAXES[syntax],
        )
        for keyword, value in (attrs or {}).items():
            setattr(ds, keyword, value)
        words = _words(stored, bits_allocated, signed)
        if syntax in ('implicit', 'explicit', 'deflated'):
            ds.PixelData = words.astype(words.dtype.newbyteorder('<')).tobytes()
        elif syntax == 'big':
            ds.PixelData = words.astype(words.dtype.newbyteorder('>')).tobytes()
        elif syntax in ('rle', 'j2k', 'j2k-lossy'):
            ds.file_meta.TransferSyntaxUID = uid.ExplicitVRLittleEndian
            arr = words if t > 1 else words[0]
            ds.PixelData = arr.tobytes()
            if syntax == 'rle':
                ds.compress(uid.RLELossless, arr, encoding_plugin='pydicom', generate_instance_uid=False)
            elif syntax == 'j2k':
                ds.compress(uid.JPEG2000Lossless, arr, generate_instance_uid=False)
            else:
                ds.compress(
                    uid.JPEG2000, arr, j2k_cr=encode_options.get('j2k_cr', [4]), generate_instance_uid=False
                )
        else:
            frames = encode_frames(syntax, stored, bits_allocated, bits_stored, signed)
            ds.PixelData = encapsulate(frames, has_bot=encode_options.get('has_bot', True))
            ds['PixelData'].VR = 'OB'
        return ds

    def save(self, ds: Dataset, name: str, *, raw: bool = False) -> Path:
        """Write ``ds`` as a DICOM file. ``raw=True`` (implied for syntaxes pydicom cannot encode) writes the
        File Meta and the body (explicit VR little endian) without pydicom's consistency checks, so that
        deliberately broken files can be produced."""
        path = self.directory / name
        syntax = uid.UID(ds.file_meta.TransferSyntaxUID)
        if raw or syntax not in SYNTAXES.values():
            with open(path, 'wb') as handle:
                handle.write(bytes(128) + b'DICM')
                fp = DicomFileLike(handle)
                write_file_meta_info(fp, ds.file_meta, enforce_standard=True)
                fp.is_little_endian, fp.is_implicit_VR = True, False
                write_dataset(fp, ds)
            return path
        ds.save_as(
            path,
            enforce_file_format=True,
            implicit_vr=syntax.is_implicit_VR,
            little_endian=syntax.is_little_endian,
        )
        return path

    def write(self, name: str, stored: np.ndarray, **kwargs: Any) -> Path:
        return self.save(self.dataset(stored, **kwargs), name)


def functional_group(**macros: Dataset | list[Dataset]) -> Dataset:
    """One functional-groups item: ``functional_group(PixelMeasuresSequence=item, ...)``."""
    group = Dataset()
    for keyword, items in macros.items():
        setattr(group, keyword, Sequence(items if isinstance(items, list) else [items]))
    return group


def item(**attrs: Any) -> Dataset:
    ds = Dataset()
    for keyword, value in attrs.items():
        setattr(ds, keyword, value)
    return ds


def dt_string(moment: datetime.datetime) -> str:
    return moment.strftime('%Y%m%d%H%M%S.%f')


@pytest.fixture
def dicom_factory(tmp_path: Path) -> DicomFactory:
    return DicomFactory(tmp_path)


@pytest.fixture
def write_dicom(dicom_factory: DicomFactory) -> Callable[..., Path]:
    return dicom_factory.write


@pytest.fixture
def dsa() -> types.SimpleNamespace:
    """The helpers above as one namespace."""
    return types.SimpleNamespace(
        XA=XA,
        ENHANCED_XA=ENHANCED_XA,
        XRF=XRF,
        ENHANCED_XRF=ENHANCED_XRF,
        SECONDARY_CAPTURE=SECONDARY_CAPTURE,
        SYNTAXES=SYNTAXES,
        LOSSY=LOSSY,
        expected_intensity=expected_intensity,
        random_stored=random_stored,
        smooth_stored=smooth_stored,
        base_dataset=base_dataset,
        encode_frames=encode_frames,
        functional_group=functional_group,
        item=item,
        dt_string=dt_string,
    )
