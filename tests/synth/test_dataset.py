"""Dataset files: determinism, annotation schema, splits, DICOM validity and the loader round trip."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pydicom
import pytest

from occlunet.synth import CATEGORIES, generate_dataset, simulate_study, split_studies

XA_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.12.1'


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob('*'))
        if p.is_file()
    }


def test_same_seed_same_bytes_and_worker_count_does_not_matter(tmp_path):
    kw = dict(size=48, seed=11, progress=False, frames_min=4, frames_max=5)
    generate_dataset(tmp_path / 'a', 3, **kw)
    generate_dataset(tmp_path / 'b', 3, workers=2, **kw)
    generate_dataset(tmp_path / 'c', 3, **{**kw, 'seed': 12})
    a, b, c = _digests(tmp_path / 'a'), _digests(tmp_path / 'b'), _digests(tmp_path / 'c')
    assert len(a) == 3 * 2 + 4 + 3  # DICOMs, annotations, generator.json, data_card.json / .md
    assert a == b
    assert set(a) == set(c)
    assert all(a[k] != c[k] for k in a if k.endswith('.dcm'))
    assert a['annotations/all.json'] != c['annotations/all.json']


def test_annotation_schema(tiny_dataset):
    root, summary = tiny_dataset
    data = json.loads((root / 'annotations' / 'all.json').read_text())
    assert data['categories'] == [dict(c) for c in CATEGORIES]
    assert [c['name'] for c in data['categories']] == [
        'M1',
        'M2',
        'ICA_intracranial',
        'ICA_extracranial',
        'unknown',
    ]
    assert data['info']['seed'] == 5 and 'version' in data['info']
    videos, anns = data['videos'], data['annotations']
    assert len(videos) == 12 == summary['num_videos']
    keys = {
        'id',
        'file_name',
        'study_id',
        'patient_id',
        'view',
        'width',
        'height',
        'num_frames',
        'frame_rate',
        'acquired',
    }
    by_id = {}
    for v in videos:
        assert set(v) == keys
        assert (root / v['file_name']).is_file() and v['file_name'].startswith('dicom/')
        assert v['file_name'] == f'dicom/{v["study_id"]}_{v["view"]}.dcm'
        assert v['patient_id'] == 'P' + v['study_id'][1:]
        assert v['view'] in ('PA', 'LAT') and v['width'] == v['height'] == 64
        assert 6 <= v['num_frames'] <= 8 and 2.0 <= v['frame_rate'] <= 4.0
        by_id[v['id']] = v
    assert len(by_id) == len(videos)
    assert len({a['id'] for a in anns}) == len(anns)
    assert anns, 'with occlusion_fraction=0.8 some studies are occluded'
    for a in anns:
        assert set(a) == {'id', 'video_id', 'category_id', 'bbox', 'frame_start', 'frame_end'}
        v = by_id[a['video_id']]
        x, y, w, h = a['bbox']
        assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= v['width'] and y + h <= v['height']
        assert 0 <= a['frame_start'] <= a['frame_end'] < v['num_frames']
        assert 1 <= a['category_id'] <= 5
    # both views of an occluded study carry the same occlusion
    per_study: dict[str, list] = {}
    for a in anns:
        per_study.setdefault(by_id[a['video_id']]['study_id'], []).append(a)
    for pair in per_study.values():
        assert len(pair) == 2
        assert {by_id[a['video_id']]['view'] for a in pair} == {'PA', 'LAT'}
        assert len({(a['category_id'], a['frame_start'], a['frame_end']) for a in pair}) == 1
    # acquisition times increase with the study index (for a chronological split)
    acquired = [v['acquired'] for v in videos if v['view'] == 'PA']
    assert acquired == sorted(acquired)


def test_splits_are_disjoint_by_study(tiny_dataset):
    root, _ = tiny_dataset
    every = json.loads((root / 'annotations' / 'all.json').read_text())
    seen: dict[str, str] = {}
    n_videos = n_anns = 0
    for name in ('train', 'val', 'test'):
        part = json.loads((root / 'annotations' / f'{name}.json').read_text())
        assert part['categories'] == every['categories']
        ids = {v['id'] for v in part['videos']}
        assert all(a['video_id'] in ids for a in part['annotations'])
        studies = {v['study_id'] for v in part['videos']}
        for s in studies:
            assert s not in seen, f'{s} in {seen.get(s)} and {name}'
            seen[s] = name
        assert all(sum(v['study_id'] == s for v in part['videos']) == 2 for s in studies)  # PA + LAT together
        n_videos += len(part['videos'])
        n_anns += len(part['annotations'])
    assert n_videos == len(every['videos']) and n_anns == len(every['annotations'])


def test_split_ratios():
    s = split_studies(200, (0.7, 0.15, 0.15), seed=0)
    assert [len(s[k]) for k in ('train', 'val', 'test')] == [140, 30, 30]
    assert sorted(s['train'] + s['val'] + s['test']) == list(range(200))
    assert split_studies(200, (0.7, 0.15, 0.15), seed=0) == s != split_studies(200, (0.7, 0.15, 0.15), seed=1)
    with pytest.raises(ValueError):
        split_studies(10, (1.0, -0.5, 0.5), seed=0)


def test_dicom_header_is_valid_xa(tiny_dataset):
    root, _ = tiny_dataset
    pa = pydicom.dcmread(root / 'dicom' / 'S0001_PA.dcm')
    lat = pydicom.dcmread(root / 'dicom' / 'S0001_LAT.dcm')
    for ds, view in ((pa, 'PA'), (lat, 'LAT')):
        assert ds.file_meta.MediaStorageSOPClassUID == XA_SOP_CLASS == ds.SOPClassUID
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
        assert ds.Modality == 'XA' and ds.PatientID == 'P0001' and ds.StudyID == 'S0001'
        assert ds.Rows == ds.Columns == 64 and ds.SamplesPerPixel == 1
        assert (
            ds.BitsAllocated == 16
            and ds.BitsStored == 12
            and ds.HighBit == 11
            and ds.PixelRepresentation == 0
        )
        assert ds.PhotometricInterpretation == 'MONOCHROME2' and ds.PixelIntensityRelationship == 'LOG'
        assert ds.FrameIncrementPointer == pydicom.tag.Tag('FrameTime')
        assert float(ds.FrameTime) == pytest.approx(1000.0 / ds.CineRate, rel=0.2)
        assert int(ds.NumberOfFrames) == ds.pixel_array.shape[0]
        assert float(ds.ImagerPixelSpacing[0]) > 0
        angle = float(ds.PositionerPrimaryAngle)
        assert (abs(angle) <= 45) if view == 'PA' else (45 < abs(angle) <= 135)
        assert ds.AcquisitionDateTime.startswith('201901')
    assert pa.StudyInstanceUID == lat.StudyInstanceUID
    assert pa.SeriesInstanceUID != lat.SeriesInstanceUID and pa.SOPInstanceUID != lat.SOPInstanceUID
    assert pa.pixel_array.dtype == np.uint16 and pa.pixel_array.max() < 4096


@pytest.mark.parametrize('compress', ['none', 'rle'])
def test_loader_round_trip(tmp_path, compress):
    from occlunet.dicom import load_dsa

    generate_dataset(
        tmp_path,
        2,
        size=64,
        seed=3,
        progress=False,
        frames_min=5,
        frames_max=7,
        compress=compress,
        bits_stored=10,
    )
    data = json.loads((tmp_path / 'annotations' / 'all.json').read_text())
    sim = simulate_study(1, 3, data_params(data))
    for v in data['videos']:
        seq = load_dsa(tmp_path / v['file_name'])
        assert seq.frames.shape == (v['num_frames'], 64, 64) and seq.frames.dtype == np.float32
        assert seq.view == v['view']
        np.testing.assert_allclose(seq.frame_times, np.arange(v['num_frames']) / v['frame_rate'], atol=1e-6)
        assert seq.patient_id == v['patient_id']
        assert 0.0 <= seq.frames.min() and seq.frames.max() <= 1.0
        assert abs(np.median(seq.frames[0]) - 0.75) < 0.03  # grey background, vessels darker
        if v['study_id'] == 'S0001':
            view = sim.views[v['view']]
            assert seq.study_instance_uid == sim.study_uid
            assert seq.sop_instance_uid == view.sop_uid and seq.series_instance_uid == view.series_uid
            np.testing.assert_allclose(seq.frames, view.stored / 1023.0, atol=1e-6)  # lossless, 10 bits
        ds = pydicom.dcmread(tmp_path / v['file_name'])
        expected = pydicom.uid.RLELossless if compress == 'rle' else pydicom.uid.ExplicitVRLittleEndian
        assert ds.file_meta.TransferSyntaxUID == expected
        assert ds.pixel_array.shape == seq.frames.shape


def data_params(data: dict):
    """SynthParams back from the 'info' block of an annotation file."""
    from occlunet.synth import SynthParams

    return SynthParams(**data['info']['params'])
