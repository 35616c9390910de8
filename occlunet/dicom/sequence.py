"""Result types of the loader: :class:`DSAHeader` (metadata only) and :class:`DSASequence` (pixels too)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = ['DSAHeader', 'DSASequence', 'View']

View = Literal['PA', 'LAT', 'UNKNOWN']


@dataclass(frozen=True, eq=False)
class DSAHeader:
    """Validated header of a DSA file: geometry, pixel encoding and acquisition metadata.

    Produced by :func:`occlunet.dicom.read_dsa_header` without reading or decoding the pixel data.
    ``num_frames``/``height``/``width`` are the declared geometry (NumberOfFrames, Rows, Columns);
    the pixel data is checked against them when the file is loaded.
    """

    path: str
    num_frames: int
    height: int
    width: int
    transfer_syntax_uid: str
    bits_allocated: int
    bits_stored: int
    pixel_representation: int  # 0 unsigned, 1 two's complement
    photometric_interpretation: str  # 'MONOCHROME1' or 'MONOCHROME2'
    rescale_slope: float
    rescale_intercept: float
    frame_times: np.ndarray | None  # float64 (T,), seconds from the first frame
    view: View
    pixel_spacing: tuple[float, float] | None  # mm, (row, column)
    acquisition_datetime: datetime.datetime | None
    sop_class_uid: str | None
    sop_instance_uid: str | None
    study_instance_uid: str | None
    series_instance_uid: str | None
    patient_id: str | None
    series_description: str | None
    modality: str | None

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(T, H, W)`` of the frames this file decodes to."""
        return (self.num_frames, self.height, self.width)


@dataclass(frozen=True, eq=False)
class DSASequence:
    """A decoded DSA run.

    ``frames`` is float32 ``(T, H, W)`` in [0, 1] (stored value -> RescaleSlope/Intercept -> linear map of
    the range representable by BitsStored/PixelRepresentation onto [0, 1] -> ``1 - x`` for MONOCHROME1), so
    contrast-filled vessels are dark. ``frame_times`` is float64 ``(T,)`` seconds from the first frame, or
    ``None`` when the file carries no timing. ``header`` holds the full validated header.
    """

    frames: np.ndarray
    frame_times: np.ndarray | None
    view: View
    pixel_spacing: tuple[float, float] | None
    path: str
    sop_instance_uid: str | None
    study_instance_uid: str | None
    series_instance_uid: str | None
    patient_id: str | None
    acquisition_datetime: datetime.datetime | None
    sop_class_uid: str | None
    series_description: str | None
    transfer_syntax_uid: str
    header: DSAHeader = field(repr=False)

    @classmethod
    def from_header(cls, frames: np.ndarray, header: DSAHeader) -> DSASequence:
        return cls(
            frames=frames,
            frame_times=header.frame_times,
            view=header.view,
            pixel_spacing=header.pixel_spacing,
            path=header.path,
            sop_instance_uid=header.sop_instance_uid,
            study_instance_uid=header.study_instance_uid,
            series_instance_uid=header.series_instance_uid,
            patient_id=header.patient_id,
            acquisition_datetime=header.acquisition_datetime,
            sop_class_uid=header.sop_class_uid,
            series_description=header.series_description,
            transfer_syntax_uid=header.transfer_syntax_uid,
            header=header,
        )

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def height(self) -> int:
        return int(self.frames.shape[1])

    @property
    def width(self) -> int:
        return int(self.frames.shape[2])
