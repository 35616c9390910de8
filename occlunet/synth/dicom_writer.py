"""Multi-frame X-Ray Angiographic (XA) DICOM files with pydicom 3, byte-identical for identical input.

SOP class XA Image Storage (1.2.840.10008.5.1.4.1.1.12.1); Explicit VR Little Endian, or RLE Lossless
(pydicom's RLE encoder, through the pylibjpeg-rle plugin when installed). Pixels: BitsAllocated 16,
BitsStored 10 or 12, HighBit = BitsStored - 1, unsigned, MONOCHROME2 with contrast-filled vessels dark
(stored = background level - gain * DSA), PixelIntensityRelationship LOG. Cine timing by FrameTime
(FrameIncrementPointer -> FrameTime) for a constant frame rate, else by FrameTimeVector (FrameIncrementPointer
-> FrameTimeVector: entry i = ms since frame i - 1, entry 0 = 0). No value depends on the wall clock: every
UID and date/time comes from the caller (derived from seed and study index).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels.encoders import RLELosslessEncoder
from pydicom.tag import Tag
from pydicom.uid import ExplicitVRLittleEndian, RLELossless, XRayAngiographicImageStorage

from .config import GENERATOR_VERSION


@dataclass
class XAHeader:
    patient_id: str
    study_id: str
    study_uid: str
    series_uid: str
    sop_uid: str
    acquired: dt.datetime
    view: str  # 'PA' or 'LAT'
    fps: float
    bits_stored: int
    imager_pixel_spacing: float  # mm
    magnification: float
    primary_angle: float
    secondary_angle: float
    series_number: int
    laterality: str  # injected side: 'L' or 'R'
    # s from the first frame, for a variable-rate run (FrameTimeVector); None: constant rate 1 / fps
    frame_times: tuple[float, ...] | None = None
    generator: str = f'occlunet.synth {GENERATOR_VERSION}'  # ManufacturerModelName


def _ds(value: float) -> str:
    """A DS string (at most 16 characters)."""
    return f'{value:.10g}'[:16]


def build_dataset(stored: np.ndarray, h: XAHeader) -> Dataset:
    """The complete XA dataset for ``stored`` (T, H, W) uint16, uncompressed."""
    if stored.dtype != np.uint16 or stored.ndim != 3:
        raise ValueError(f'stored must be uint16 (T, H, W), got {stored.dtype} {stored.shape}')
    t, rows, cols = stored.shape
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = XRayAngiographicImageStorage
    meta.MediaStorageSOPInstanceUID = h.sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    date, time = h.acquired.strftime('%Y%m%d'), h.acquired.strftime('%H%M%S')
    ds.SpecificCharacterSet = 'ISO_IR 100'
    ds.ImageType = ['DERIVED', 'PRIMARY', 'SINGLE A' if h.view == 'PA' else 'SINGLE B']
    ds.SOPClassUID = XRayAngiographicImageStorage
    ds.SOPInstanceUID = h.sop_uid
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = date
    ds.StudyTime = ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = time
    ds.AcquisitionDateTime = h.acquired.strftime('%Y%m%d%H%M%S')
    ds.AccessionNumber = h.study_id
    ds.Modality = 'XA'
    ds.Manufacturer = 'occlunet synthetic'
    ds.ManufacturerModelName = h.generator
    ds.ReferringPhysicianName = ''
    ds.StudyDescription = 'Synthetic cerebral DSA (acute stroke)'
    ds.SeriesDescription = f'ICA {h.laterality} {h.view}'
    ds.PatientName = f'SYNTH^{h.patient_id}'
    ds.PatientID = h.patient_id
    ds.PatientBirthDate = ''
    ds.PatientSex = ''
    ds.BodyPartExamined = 'HEAD'
    ds.KVP = '80'
    ds.RadiationSetting = 'GR'
    ds.ImagerPixelSpacing = [_ds(h.imager_pixel_spacing), _ds(h.imager_pixel_spacing)]
    ds.EstimatedRadiographicMagnificationFactor = _ds(h.magnification)
    ds.DistanceSourceToDetector = '1100'
    ds.DistanceSourceToPatient = _ds(1100.0 / h.magnification)
    if h.frame_times is None:
        ds.FrameTime = _ds(1000.0 / h.fps)
    else:
        if len(h.frame_times) != t:
            raise ValueError(f'frame_times has {len(h.frame_times)} entries for {t} frames')
        steps = np.diff(np.asarray(h.frame_times, dtype=np.float64), prepend=h.frame_times[0]) * 1000.0
        ds.FrameTimeVector = [_ds(float(ms)) for ms in steps]
    ds.CineRate = int(round(h.fps))
    ds.RecommendedDisplayFrameRate = int(round(h.fps))
    ds.PositionerMotion = 'STATIC'
    ds.PositionerPrimaryAngle = _ds(h.primary_angle)
    ds.PositionerSecondaryAngle = _ds(h.secondary_angle)
    ds.StudyInstanceUID = h.study_uid
    ds.SeriesInstanceUID = h.series_uid
    ds.StudyID = h.study_id
    ds.SeriesNumber = h.series_number
    ds.AcquisitionNumber = h.series_number
    ds.InstanceNumber = 1
    ds.PatientOrientation = ['L', 'F'] if h.view == 'PA' else ['P', 'F']
    ds.Laterality = h.laterality
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.NumberOfFrames = t
    ds.FrameIncrementPointer = Tag('FrameTime' if h.frame_times is None else 'FrameTimeVector')
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated = 16
    ds.BitsStored = h.bits_stored
    ds.HighBit = h.bits_stored - 1
    ds.PixelRepresentation = 0
    ds.PixelIntensityRelationship = 'LOG'
    ds.PixelIntensityRelationshipSign = 1
    ds.RescaleIntercept = '0'
    ds.RescaleSlope = '1'
    ds.RescaleType = 'US'
    ds.WindowCenter = str((1 << h.bits_stored) // 2)
    ds.WindowWidth = str(1 << h.bits_stored)
    ds.LossyImageCompression = '00'
    ds.PixelData = np.ascontiguousarray(stored, dtype='<u2').tobytes()
    return ds


def write_xa(path: str | os.PathLike, stored: np.ndarray, header: XAHeader, compress: str = 'none') -> None:
    """Write one multi-frame XA file; ``compress`` is 'none' or 'rle' (RLE Lossless)."""
    ds = build_dataset(stored, header)
    if compress == 'rle':
        plugins = RLELosslessEncoder.available_plugins
        plugin = 'pylibjpeg' if 'pylibjpeg' in plugins else ''  # the fast (Rust) encoder when installed
        ds.compress(RLELossless, stored, encoding_plugin=plugin, generate_instance_uid=False)
    elif compress != 'none':
        raise ValueError(f"compress must be 'none' or 'rle', got {compress!r}")
    ds.save_as(path, enforce_file_format=True)
