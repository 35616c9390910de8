"""Acquisition metadata of a DSA file: frame times, projection view, pixel spacing, date/time.

All of it is best-effort: a missing or malformed value yields ``None``/``'UNKNOWN'`` and never makes a file
unreadable -- with two exceptions that indicate a structurally broken file and raise ``DSAFormatError``:
a FrameTimeVector whose length differs from NumberOfFrames (or that has negative/non-finite increments),
and a PerFrameFunctionalGroupsSequence whose item count differs from NumberOfFrames.

Frame-time sources, first usable one wins (all results are seconds from the first frame, first value 0):

1. ``FrameTimeVector`` (0018,1065): ms, entry i = time since frame i-1 (entry 0 is ignored, it is 0 by
   definition).
2. ``FrameTime`` (0018,1063): ms between frames.
3. Enhanced XA/XRF: every item of ``PerFrameFunctionalGroupsSequence`` has a ``FrameContentSequence`` with
   ``FrameAcquisitionDateTime`` (else ``FrameReferenceDateTime``); times are differences to frame 0. Used
   only if every frame has one and they never decrease.
4. ``FrameTime`` inside a functional group (shared, else the first per-frame item).
5. ``CineRate`` (0018,0040), then ``RecommendedDisplayFrameRate`` (0008,2144): frames per second.
6. otherwise ``None``.
Non-positive or non-finite FrameTime / rates count as absent.

View, first usable source wins:

1. ``PositionerPrimaryAngle`` (0018,1510), top level, else inside a functional group (e.g. Enhanced XA's
   ``PositionerPositionSequence``; shared group first, then the first frame's). The angle is wrapped to
   (-180, 180]: |a| <= 45 -> ``'PA'``, 45 < |a| <= 135 -> ``'LAT'``, |a| > 135 -> ``'PA'`` (a frontal
   projection with the tube on the other side: still a frontal view).
2. ``ViewPosition`` (0018,5101): AP/PA -> ``'PA'``; LL/RL/LAT/LATERAL -> ``'LAT'``.
3. otherwise ``'UNKNOWN'``.

Pixel spacing (mm, (row, column)): ``ImagerPixelSpacing``, else ``PixelSpacing``, else the same two inside
a functional group (``PixelMeasuresSequence`` etc.; shared first, then the first frame's). A single value is
taken as isotropic; non-positive/non-finite values count as absent.

Acquisition date/time: ``AcquisitionDateTime``, else ``AcquisitionDate`` + ``AcquisitionTime``, else the
first frame's ``FrameAcquisitionDateTime`` (Enhanced), else ``ContentDate`` + ``ContentTime``, else ``None``.
A DT with a UTC offset gives a timezone-aware datetime.
"""

from __future__ import annotations

import datetime
import math
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.valuerep import DA, DT, TM

from .errors import DSAFormatError
from .fields import as_list, iter_sequence_items, safe_value
from .sequence import View

__all__ = [
    'acquisition_datetime',
    'frame_times',
    'functional_group_value',
    'per_frame_items',
    'pixel_spacing',
    'view_from_angle',
    'view_from_dataset',
]

_PA_POSITIONS = {'AP', 'PA'}
_LAT_POSITIONS = {'LL', 'RL', 'LAT', 'LATERAL', 'LLD', 'RLD'}


# ----------------------------------------------------------------------------------------- functional groups
def per_frame_items(ds: Dataset, num_frames: int, path: str | os.PathLike) -> list[Dataset]:
    """Items of PerFrameFunctionalGroupsSequence (empty if absent); their count must be ``num_frames``."""
    items = list(iter_sequence_items(ds, 'PerFrameFunctionalGroupsSequence'))
    if items and len(items) != num_frames:
        raise DSAFormatError(
            path,
            'PerFrameFunctionalGroupsSequence',
            f'PerFrameFunctionalGroupsSequence has {len(items)} items but NumberOfFrames={num_frames}',
        )
    return items


def _macro_items(group: Dataset) -> Iterator[Dataset]:
    """The items of every sequence inside one functional-group item (the functional group macros)."""
    try:
        elements = list(group)
    except Exception:  # malformed item: no macros
        return
    for elem in elements:
        try:
            if elem.VR != 'SQ':
                continue
            items = list(elem.value or [])
        except Exception:
            continue
        for item in items:
            if isinstance(item, Dataset):
                yield item


def functional_group_value(ds: Dataset, keyword: str, per_frame: list[Dataset] | None = None) -> Any:
    """First non-empty ``keyword`` in a functional-group macro: shared group first, then the first frame's."""
    groups = list(iter_sequence_items(ds, 'SharedFunctionalGroupsSequence'))[:1]
    frames = (
        per_frame
        if per_frame is not None
        else list(iter_sequence_items(ds, 'PerFrameFunctionalGroupsSequence'))
    )
    groups += frames[:1]
    for group in groups:
        for item in _macro_items(group):
            value = safe_value(item, keyword)
            if value is not None:
                return value
    return None


# ------------------------------------------------------------------------------------------------ numbers
def _float_or_none(value: Any) -> float | None:
    values = as_list(value)
    if not values:
        return None
    try:
        number = float(values[0])
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _positive(value: Any) -> float | None:
    number = _float_or_none(value)
    return number if number is not None and number > 0 else None


# --------------------------------------------------------------------------------------------- date & time
def _parse_dt(value: Any) -> datetime.datetime | None:
    value = as_list(value)[0] if as_list(value) else None
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value
    try:
        return DT(str(value).strip())
    except Exception:
        return None


def _parse_date_time(date_value: Any, time_value: Any) -> datetime.datetime | None:
    if date_value is None or time_value is None:
        return None
    try:
        date = date_value if isinstance(date_value, datetime.date) else DA(str(date_value).strip())
        time = time_value if isinstance(time_value, datetime.time) else TM(str(time_value).strip())
        if date is None or time is None:
            return None
        return datetime.datetime.combine(date, time)
    except Exception:
        return None


def _frame_content_datetime(item: Dataset, keyword: str) -> datetime.datetime | None:
    for content in iter_sequence_items(item, 'FrameContentSequence'):
        return _parse_dt(safe_value(content, keyword))
    return None


def acquisition_datetime(ds: Dataset, per_frame: list[Dataset]) -> datetime.datetime | None:
    """Acquisition start (see the module docstring for the order of sources)."""
    found = _parse_dt(safe_value(ds, 'AcquisitionDateTime'))
    if found is None:
        found = _parse_date_time(safe_value(ds, 'AcquisitionDate'), safe_value(ds, 'AcquisitionTime'))
    if found is None and per_frame:
        found = _frame_content_datetime(per_frame[0], 'FrameAcquisitionDateTime')
    if found is None:
        found = _parse_date_time(safe_value(ds, 'ContentDate'), safe_value(ds, 'ContentTime'))
    return found


# --------------------------------------------------------------------------------------------- frame times
def _times_from_vector(value: Any, num_frames: int, path: str | os.PathLike) -> np.ndarray:
    entries = as_list(value)
    if len(entries) != num_frames:
        raise DSAFormatError(
            path,
            'FrameTimeVector',
            f'FrameTimeVector has {len(entries)} entries but NumberOfFrames={num_frames}',
        )
    try:
        increments = np.array([float(v) for v in entries], dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise DSAFormatError(
            path, 'FrameTimeVector', f'FrameTimeVector has a non-numeric entry ({exc})'
        ) from exc
    increments[0] = 0.0  # by definition the time since the "previous" frame of frame 0
    if not np.all(np.isfinite(increments)) or np.any(increments < 0):
        raise DSAFormatError(
            path, 'FrameTimeVector', 'FrameTimeVector has a negative or non-finite time increment'
        )
    return np.cumsum(increments) / 1000.0


def _times_from_datetimes(per_frame: list[Dataset]) -> np.ndarray | None:
    for keyword in ('FrameAcquisitionDateTime', 'FrameReferenceDateTime'):
        stamps = [_frame_content_datetime(item, keyword) for item in per_frame]
        if not stamps or any(s is None for s in stamps):
            continue
        if len({s.tzinfo is None for s in stamps}) > 1:  # mixed naive/aware: compare wall-clock times
            stamps = [s.replace(tzinfo=None) for s in stamps]
        times = np.array([(s - stamps[0]).total_seconds() for s in stamps], dtype=np.float64)
        if np.all(np.isfinite(times)) and np.all(np.diff(times) >= 0):
            return times
    return None


def frame_times(
    ds: Dataset, num_frames: int, per_frame: list[Dataset], path: str | os.PathLike
) -> np.ndarray | None:
    """Seconds from the first frame, float64 ``(num_frames,)``, or ``None`` (see the module docstring)."""
    vector = safe_value(ds, 'FrameTimeVector')
    if vector is not None:
        return _times_from_vector(vector, num_frames, path)
    steps = np.arange(num_frames, dtype=np.float64)
    frame_time = _positive(safe_value(ds, 'FrameTime'))
    if frame_time is not None:
        return steps * (frame_time / 1000.0)
    if per_frame:
        times = _times_from_datetimes(per_frame)
        if times is not None:
            return times
    frame_time = _positive(functional_group_value(ds, 'FrameTime', per_frame))
    if frame_time is not None:
        return steps * (frame_time / 1000.0)
    for keyword in ('CineRate', 'RecommendedDisplayFrameRate'):
        rate = _positive(safe_value(ds, keyword))
        if rate is not None:
            return steps / rate
    return None


# ---------------------------------------------------------------------------------------------------- view
def view_from_angle(angle: float) -> View:
    """Classify a PositionerPrimaryAngle (degrees, LAO positive) as ``'PA'`` or ``'LAT'``.

    The angle is wrapped to (-180, 180]; |a| <= 45 and |a| > 135 are frontal (``'PA'``), the rest lateral.
    """
    if not math.isfinite(angle):
        return 'UNKNOWN'
    magnitude = abs((angle + 180.0) % 360.0 - 180.0)  # |angle| after wrapping to [-180, 180)
    if magnitude <= 45.0 or magnitude > 135.0:
        return 'PA'
    return 'LAT'


def view_from_dataset(ds: Dataset, per_frame: list[Dataset]) -> View:
    """Projection of the run (see the module docstring for the order of sources)."""
    angle = _float_or_none(safe_value(ds, 'PositionerPrimaryAngle'))
    if angle is None:
        angle = _float_or_none(functional_group_value(ds, 'PositionerPrimaryAngle', per_frame))
    if angle is not None:
        return view_from_angle(angle)
    position = safe_value(ds, 'ViewPosition')
    if position is not None:
        text = str(as_list(position)[0]).strip().upper()
        if text in _PA_POSITIONS:
            return 'PA'
        if text in _LAT_POSITIONS:
            return 'LAT'
    return 'UNKNOWN'


# ------------------------------------------------------------------------------------------------- spacing
def _spacing(value: Any) -> tuple[float, float] | None:
    values = [_positive(v) for v in as_list(value)]
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or any(v is None for v in values):
        return None
    return (float(values[0]), float(values[1]))


def pixel_spacing(ds: Dataset, per_frame: list[Dataset]) -> tuple[float, float] | None:
    """(row, column) spacing in mm (see the module docstring for the order of sources)."""
    for keyword in ('ImagerPixelSpacing', 'PixelSpacing'):
        found = _spacing(safe_value(ds, keyword))
        if found is not None:
            return found
    for keyword in ('ImagerPixelSpacing', 'PixelSpacing'):
        found = _spacing(functional_group_value(ds, keyword, per_frame))
        if found is not None:
            return found
    return None
