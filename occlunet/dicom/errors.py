"""The one exception type the DICOM loader raises for bad input."""

from __future__ import annotations

import os

__all__ = ['DSAFormatError']


class DSAFormatError(ValueError):
    """A file that cannot be read as a monochrome DSA sequence.

    The message always starts with the file's base name and names the offending DICOM field, e.g.
    ``scan_012.dcm: BitsStored=18 exceeds BitsAllocated=16``.

    Attributes:
        path: the path as given to the loader.
        field: the DICOM keyword (or structural part, e.g. ``'PixelData'``, ``'FileMetaInformation'``)
            the problem was found in.
        detail: the message without the file-name prefix.
    """

    def __init__(self, path: str | os.PathLike, field: str, detail: str) -> None:
        self.path = os.fspath(path)
        self.field = field
        if field not in detail:
            detail = f'{field}: {detail}'
        self.detail = detail
        super().__init__(f'{os.path.basename(self.path)}: {detail}')

    def __reduce__(self):
        # Keep the exception picklable (e.g. raised inside DataLoader workers / multiprocessing pools).
        return (type(self), (self.path, self.field, self.detail))
