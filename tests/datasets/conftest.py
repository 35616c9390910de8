"""A tiny DSA data set written with pydicom: 64x64 XA runs of 5-8 frames and a COCO-VID annotation file.

Frame ``t`` of every video has a distinct grey level (background ``BACKGROUND - t * FRAME_STEP``) so tests
can tell frames apart; the annotated videos have a dark blob (the "occlusion") inside their box.

Test modules reach everything through the ``dsa_data`` fixture (a namespace), never by importing this file.
"""

from __future__ import annotations

import copy
import json
import types
from pathlib import Path

import numpy as np
import pytest
from pydicom import uid
from pydicom.dataset import Dataset, FileMetaDataset

XA = '1.2.840.10008.5.1.4.1.1.12.1'
SIZE = 64
BITS_STORED = 12
BACKGROUND = 3000
FRAME_STEP = 100
BLOB_VALUE = 400
ANGLES = {'PA': 0.0, 'LAT': 90.0}

CATEGORIES = [
    {'id': 1, 'name': 'M1'},
    {'id': 2, 'name': 'M2'},
    {'id': 3, 'name': 'ICA_intracranial'},
    {'id': 4, 'name': 'ICA_extracranial'},
    {'id': 5, 'name': 'unknown'},
]
# (id, file stem, view, num_frames)
VIDEOS = [
    (1, 'S0001_PA', 'PA', 6),
    (2, 'S0001_LAT', 'LAT', 5),
    (3, 'S0002_PA', 'PA', 8),
    (4, 'S0003_OBL', 'OBL', 5),
]
ANNOTATIONS = [
    # covers the first frames: target 0 has a box, target 3 has none
    {'id': 10, 'video_id': 1, 'category_id': 1, 'bbox': [20, 24, 12, 10], 'frame_start': 0, 'frame_end': 2},
    # covers the last frames
    {'id': 11, 'video_id': 2, 'category_id': 2, 'bbox': [30, 10, 8, 8], 'frame_start': 1, 'frame_end': 4},
    {'id': 12, 'video_id': 4, 'category_id': 5, 'bbox': [5, 5, 10, 10], 'frame_start': 2, 'frame_end': 3},
]


def stored_frames(num_frames: int, boxes: list[list[float]]) -> np.ndarray:
    """uint16 stored values (T, H, W): a per-frame grey level, a vertical vessel and dark blobs in boxes."""
    frames = np.empty((num_frames, SIZE, SIZE), dtype=np.uint16)
    for t in range(num_frames):
        img = np.full((SIZE, SIZE), BACKGROUND - t * FRAME_STEP, dtype=np.int64)
        img[:, SIZE // 2 - 2 : SIZE // 2 + 2] -= 800  # a vessel
        img[0, 0] = t  # breaks left-right symmetry
        for x, y, w, h in boxes:
            img[int(y) : int(y + h), int(x) : int(x + w)] = BLOB_VALUE
        frames[t] = np.clip(img, 0, 2**BITS_STORED - 1)
    return frames


def write_dicom(path: Path, frames: np.ndarray, view: str = 'PA', frame_time_ms: float = 333.3) -> Path:
    """A multi-frame XA file: uint16, BitsStored 12, MONOCHROME2, explicit VR little endian."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = XA
    meta.MediaStorageSOPInstanceUID = uid.generate_uid()
    meta.TransferSyntaxUID = uid.ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = XA
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = uid.generate_uid()
    ds.SeriesInstanceUID = uid.generate_uid()
    ds.PatientID = 'P0001'
    ds.Modality = 'XA'
    ds.Rows, ds.Columns = frames.shape[1:]
    ds.NumberOfFrames = frames.shape[0]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated = 16
    ds.BitsStored = BITS_STORED
    ds.HighBit = BITS_STORED - 1
    ds.PixelRepresentation = 0
    ds.FrameTime = frame_time_ms
    ds.PositionerPrimaryAngle = ANGLES.get(view, 45.0)
    ds.PixelData = np.ascontiguousarray(frames, dtype='<u2').tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def build_annotations() -> dict:
    videos = [
        {
            'id': vid,
            'file_name': f'dicom/{stem}.dcm',
            'study_id': stem.split('_')[0],
            'patient_id': 'P' + stem[1:5],
            'view': view,
            'width': SIZE,
            'height': SIZE,
            'num_frames': n,
            'frame_rate': 3.0,
            'acquired': '2019-03-02T10:11:12',
        }
        for vid, stem, view, n in VIDEOS
    ]
    return {'categories': CATEGORIES, 'videos': videos, 'annotations': ANNOTATIONS}


@pytest.fixture(scope='session')
def dsa_data(tmp_path_factory: pytest.TempPathFactory) -> types.SimpleNamespace:
    """``root`` (data root), ``ann_file`` (valid JSON), ``ann()`` (a fresh copy of its content),
    ``write_ann(content, path)``, ``write_dicom(path, frames, view)``, ``stored_frames(n, boxes)``."""
    root = tmp_path_factory.mktemp('dsa_data')
    ann = build_annotations()
    for vid, stem, view, n in VIDEOS:
        boxes = [a['bbox'] for a in ANNOTATIONS if a['video_id'] == vid]
        write_dicom(root / 'dicom' / f'{stem}.dcm', stored_frames(n, boxes), view)

    def write_ann(content: dict, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content))
        return path

    ann_file = write_ann(ann, root / 'annotations' / 'train.json')
    return types.SimpleNamespace(
        root=root,
        ann_file=ann_file,
        ann=lambda: copy.deepcopy(ann),
        write_ann=write_ann,
        write_dicom=write_dicom,
        stored_frames=stored_frames,
        videos=VIDEOS,
        frame_step=FRAME_STEP / (2**BITS_STORED - 1),
    )
