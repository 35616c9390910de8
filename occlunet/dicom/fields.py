"""Element access that turns pydicom's lazy-conversion failures into :class:`DSAFormatError`.

pydicom converts raw element values on first access, so a malformed value surfaces as an arbitrary
exception (struct.error, TypeError, ValueError, ...) at the point of use. ``FieldReader`` is the single
place where header values are read: *required* accessors raise ``DSAFormatError`` naming the field,
*optional* accessors (used for metadata that must never make a file unreadable) return ``None``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

from pydicom.dataset import Dataset

from .errors import DSAFormatError

__all__ = ['FieldReader', 'as_list', 'safe_value']


def safe_value(ds: Dataset, keyword: str) -> Any:
    """Value of ``keyword`` in ``ds``, or ``None`` when absent, empty or unreadable."""
    try:
        if keyword not in ds:
            return None
        value = ds[keyword].value
    except Exception:  # any conversion failure means "no usable value"
        return None
    return None if _is_empty(value) else value


def as_list(value: Any) -> list[Any]:
    """A DICOM value as a list (pydicom returns a bare value for VM=1 and a MultiValue otherwise)."""
    if value is None:
        return []
    if isinstance(value, str | bytes):
        return [value]
    try:
        return list(value)
    except TypeError:
        return [value]


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | bytes):
        return len(value.strip()) == 0 if isinstance(value, str) else len(value) == 0
    try:
        return len(value) == 0
    except TypeError:
        return False


class FieldReader:
    """Reads header fields of one dataset, raising ``DSAFormatError`` for ``path`` on bad values."""

    def __init__(self, ds: Dataset, path: str | os.PathLike) -> None:
        self.ds = ds
        self.path = path

    def error(self, field: str, detail: str) -> DSAFormatError:
        return DSAFormatError(self.path, field, detail)

    def raw(self, keyword: str) -> Any:
        """Value or ``None`` when absent/empty; raises ``DSAFormatError`` if present but unreadable."""
        try:
            if keyword not in self.ds:
                return None
            value = self.ds[keyword].value
        except Exception as exc:
            raise self.error(keyword, f'{keyword}: unreadable value ({type(exc).__name__}: {exc})') from exc
        return None if _is_empty(value) else value

    def required(self, keyword: str) -> Any:
        value = self.raw(keyword)
        if value is None:
            raise self.error(keyword, f'{keyword}: required field is missing or empty')
        return value

    def _single(self, keyword: str, value: Any) -> Any:
        values = as_list(value)
        if len(values) != 1:
            raise self.error(keyword, f'{keyword}: expected a single value, got {len(values)} ({value!r})')
        return values[0]

    def required_int(self, keyword: str) -> int:
        return self._to_int(keyword, self.required(keyword))

    def optional_int(self, keyword: str, default: int | None = None) -> int | None:
        value = self.raw(keyword)
        return default if value is None else self._to_int(keyword, value)

    def optional_float(self, keyword: str, default: float | None = None) -> float | None:
        value = self.raw(keyword)
        if value is None:
            return default
        value = self._single(keyword, value)
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError) as exc:
            raise self.error(keyword, f'{keyword}={value!r} is not a number') from exc
        if not math.isfinite(number):
            raise self.error(keyword, f'{keyword}={value!r} is not finite')
        return number

    def required_str(self, keyword: str) -> str:
        value = self._single(keyword, self.required(keyword))
        return str(value).strip()

    def _to_int(self, keyword: str, value: Any) -> int:
        value = self._single(keyword, value)
        try:
            number = float(value)
            if not math.isfinite(number) or number != int(number):
                raise ValueError('not an integer')
            return int(number)
        except (TypeError, ValueError, OverflowError) as exc:
            raise self.error(keyword, f'{keyword}={value!r} is not an integer') from exc


def iter_sequence_items(ds: Dataset, keyword: str) -> Iterator[Dataset]:
    """Items of the sequence ``keyword`` (nothing when absent or unreadable)."""
    value = safe_value(ds, keyword)
    for item in as_list(value):
        if isinstance(item, Dataset):
            yield item
