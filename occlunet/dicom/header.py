"""Reading and validating the header of a DSA file (no pixel data is read or decoded here).

The checks, each raising :class:`DSAFormatError` naming the file and the field:

* the file is DICOM (128-byte preamble + ``DICM`` + File Meta Information) and its header parses;
* ``TransferSyntaxUID`` is present, supported and has a decoder installed (see :mod:`.syntax`);
* ``SamplesPerPixel`` is 1 and ``PhotometricInterpretation`` is MONOCHROME1/MONOCHROME2 (colour refused);
* ``Rows``, ``Columns``, ``BitsAllocated``, ``BitsStored``, ``PixelRepresentation`` are present;
  ``BitsAllocated`` is 8 or 16, 1 <= ``BitsStored`` <= ``BitsAllocated``, ``PixelRepresentation`` is 0/1,
  ``Rows``/``Columns``/``NumberOfFrames`` (1 when absent) are positive;
* the declared size is within the caller's limits (``NumberOfFrames <= max_frames`` and
  ``NumberOfFrames * Rows * Columns <= max_pixels``);
* ``RescaleSlope`` (default 1; top level, else a PixelValueTransformationSequence in the functional
  groups, which must then be the same for every frame) is finite and non-zero, ``RescaleIntercept``
  (default 0) is finite;
* metadata checks listed in :mod:`.metadata` (FrameTimeVector / per-frame sequence lengths).

``HighBit`` is not used (the loader assumes the standard ``HighBit = BitsStored - 1``); a Modality LUT
Sequence and VOI LUT / windowing are ignored on purpose (the intensity map is fixed, see :mod:`.pixels`).
Other SOP classes than (Enhanced) XA / XRF -- e.g. Secondary Capture exports -- are accepted when the
pixels are monochrome; ``DSAHeader.sop_class_uid`` tells them apart.
"""

from __future__ import annotations

import os

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from .errors import DSAFormatError
from .fields import FieldReader, as_list, iter_sequence_items, safe_value
from .metadata import acquisition_datetime, frame_times, per_frame_items, pixel_spacing, view_from_dataset
from .sequence import DSAHeader
from .syntax import check_transfer_syntax

__all__ = ['DEFAULT_MAX_FRAMES', 'DEFAULT_MAX_PIXELS', 'parse_header', 'read_header_dataset']

DEFAULT_MAX_FRAMES = 512
DEFAULT_MAX_PIXELS = 2**31
_MONOCHROME = ('MONOCHROME1', 'MONOCHROME2')


def read_header_dataset(path: str | os.PathLike) -> Dataset:
    """``dcmread(path, stop_before_pixels=True)`` with parse failures turned into ``DSAFormatError``.

    A file without the 128-byte preamble is read only if it starts with File Meta Information.
    ``OSError`` (missing file, permission denied, a directory) is not a format problem and propagates.
    """
    try:
        try:
            return dcmread(path, stop_before_pixels=True)
        except InvalidDicomError:
            # No preamble/'DICM' but the file starts with a File Meta element (group 0002, little endian):
            # a common non-conformant export that pydicom reads with force=True. Anything else is refused.
            with open(path, 'rb') as handle:
                if handle.read(2) != b'\x02\x00':
                    raise
            return dcmread(path, stop_before_pixels=True, force=True)
    except InvalidDicomError as exc:
        raise DSAFormatError(
            path,
            'FileMetaInformation',
            f"not a DICOM file: no 128-byte preamble with 'DICM' prefix / FileMetaInformation ({exc})",
        ) from exc
    except OSError:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # struct.error, EOFError, ValueError, RecursionError, ... on a garbage header
        raise DSAFormatError(
            path, 'header', f'header: unreadable DICOM data set ({type(exc).__name__}: {exc})'
        ) from exc


def _rescale(fields: FieldReader, per_frame: list[Dataset]) -> tuple[float, float]:
    ds = fields.ds
    if fields.raw('RescaleSlope') is not None or fields.raw('RescaleIntercept') is not None:
        slope = fields.optional_float('RescaleSlope', 1.0)
        intercept = fields.optional_float('RescaleIntercept', 0.0)
    else:
        # Enhanced IODs: Pixel Value Transformation functional group, shared or per frame.
        candidates = [
            item
            for group in list(iter_sequence_items(ds, 'SharedFunctionalGroupsSequence'))[:1] + per_frame
            for item in iter_sequence_items(group, 'PixelValueTransformationSequence')
        ]
        if not candidates:
            return 1.0, 0.0
        pairs = set()
        for item in candidates:
            item_fields = FieldReader(item, fields.path)
            pairs.add(
                (
                    item_fields.optional_float('RescaleSlope', 1.0),
                    item_fields.optional_float('RescaleIntercept', 0.0),
                )
            )
        if len(pairs) != 1:
            raise fields.error(
                'RescaleSlope',
                'RescaleSlope/RescaleIntercept in PixelValueTransformationSequence differ between frames '
                '(per-frame rescale is not supported)',
            )
        slope, intercept = pairs.pop()
    if slope == 0:
        raise fields.error('RescaleSlope', 'RescaleSlope=0 maps every pixel to the same value')
    return float(slope), float(intercept)


def _optional_text(ds: Dataset, keyword: str) -> str | None:
    values = as_list(safe_value(ds, keyword))
    if not values:
        return None
    text = str(values[0]).strip()
    return text or None


def parse_header(
    ds: Dataset,
    path: str | os.PathLike,
    *,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> DSAHeader:
    """Validate a header data set (see the module docstring) and return its :class:`DSAHeader`."""
    file_meta = getattr(ds, 'file_meta', None)
    if file_meta is None or safe_value(file_meta, 'TransferSyntaxUID') is None:
        raise DSAFormatError(
            path, 'TransferSyntaxUID', 'TransferSyntaxUID missing from the FileMetaInformation'
        )
    transfer_syntax = check_transfer_syntax(
        FieldReader(file_meta, path).required_str('TransferSyntaxUID'), path
    )

    fields = FieldReader(ds, path)
    samples = fields.optional_int('SamplesPerPixel', None)
    photometric = fields.raw('PhotometricInterpretation')
    photometric = str(as_list(photometric)[0]).strip().upper() if photometric is not None else None
    if photometric is None:
        raise fields.error(
            'PhotometricInterpretation', 'PhotometricInterpretation: required field is missing'
        )
    if photometric not in _MONOCHROME:
        raise fields.error(
            'PhotometricInterpretation',
            f'PhotometricInterpretation={photometric} (SamplesPerPixel={samples}): only MONOCHROME1/2 '
            'supported',
        )
    if samples is None:
        raise fields.error('SamplesPerPixel', 'SamplesPerPixel: required field is missing')
    if samples != 1:
        raise fields.error(
            'SamplesPerPixel',
            f'SamplesPerPixel={samples} with {photometric}: only single-sample MONOCHROME1/2',
        )

    rows = fields.required_int('Rows')
    columns = fields.required_int('Columns')
    bits_allocated = fields.required_int('BitsAllocated')
    bits_stored = fields.required_int('BitsStored')
    pixel_representation = fields.required_int('PixelRepresentation')
    num_frames = fields.optional_int('NumberOfFrames', 1)

    for keyword, value in (('Rows', rows), ('Columns', columns), ('NumberOfFrames', num_frames)):
        if value <= 0:
            raise fields.error(keyword, f'{keyword}={value}: must be positive')
    if bits_allocated not in (8, 16):
        raise fields.error('BitsAllocated', f'BitsAllocated={bits_allocated}: only 8 or 16 supported')
    if bits_stored > bits_allocated:
        raise fields.error('BitsStored', f'BitsStored={bits_stored} exceeds BitsAllocated={bits_allocated}')
    if bits_stored < 1:
        raise fields.error('BitsStored', f'BitsStored={bits_stored}: must be at least 1')
    if pixel_representation not in (0, 1):
        raise fields.error(
            'PixelRepresentation', f'PixelRepresentation={pixel_representation}: must be 0 or 1'
        )
    if num_frames > max_frames:
        raise fields.error(
            'NumberOfFrames', f'NumberOfFrames={num_frames} exceeds the limit max_frames={max_frames}'
        )
    total = num_frames * rows * columns
    if total > max_pixels:
        raise fields.error(
            'NumberOfFrames',
            f'NumberOfFrames x Rows x Columns = {num_frames} x {rows} x {columns} = {total} pixels '
            f'exceeds the limit max_pixels={max_pixels}',
        )

    per_frame = per_frame_items(ds, num_frames, path)
    slope, intercept = _rescale(fields, per_frame)

    return DSAHeader(
        path=os.fspath(path),
        num_frames=num_frames,
        height=rows,
        width=columns,
        transfer_syntax_uid=str(transfer_syntax),
        bits_allocated=bits_allocated,
        bits_stored=bits_stored,
        pixel_representation=pixel_representation,
        photometric_interpretation=photometric,
        rescale_slope=slope,
        rescale_intercept=intercept,
        frame_times=frame_times(ds, num_frames, per_frame, path),
        view=view_from_dataset(ds, per_frame),
        pixel_spacing=pixel_spacing(ds, per_frame),
        acquisition_datetime=acquisition_datetime(ds, per_frame),
        sop_class_uid=_optional_text(ds, 'SOPClassUID')
        or _optional_text(file_meta, 'MediaStorageSOPClassUID'),
        sop_instance_uid=_optional_text(ds, 'SOPInstanceUID'),
        study_instance_uid=_optional_text(ds, 'StudyInstanceUID'),
        series_instance_uid=_optional_text(ds, 'SeriesInstanceUID'),
        patient_id=_optional_text(ds, 'PatientID'),
        series_description=_optional_text(ds, 'SeriesDescription'),
        modality=_optional_text(ds, 'Modality'),
    )
