"""Frame times, view, pixel spacing, date/time and identifiers, for XA and Enhanced XA headers."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from pydicom.sequence import Sequence

from occlunet.dicom import DSAFormatError, load_dsa, read_dsa_header, view_from_angle

ENHANCED_XA = '1.2.840.10008.5.1.4.1.1.12.1.1'


@pytest.fixture
def frames(dsa):
    return dsa.random_stored((4, 8, 6), 12, False, seed=1)


# ------------------------------------------------------------------------------------------------ frame times
@pytest.mark.parametrize(
    ('attrs', 'expected'),
    [
        ({'FrameTimeVector': [0, 100, 100, 250]}, [0.0, 0.1, 0.2, 0.45]),
        ({'FrameTimeVector': [33.3, 100, 100, 250]}, [0.0, 0.1, 0.2, 0.45]),  # entry 0 is ignored
        ({'FrameTime': 250}, [0.0, 0.25, 0.5, 0.75]),
        ({'CineRate': 4}, [0.0, 0.25, 0.5, 0.75]),
        ({'RecommendedDisplayFrameRate': 2}, [0.0, 0.5, 1.0, 1.5]),
        ({'FrameTime': 500, 'CineRate': 4}, [0.0, 0.5, 1.0, 1.5]),  # FrameTime wins over CineRate
        ({'FrameTimeVector': [0, 50, 50, 50], 'FrameTime': 500}, [0.0, 0.05, 0.1, 0.15]),  # vector wins
        ({'FrameTime': 0, 'CineRate': 2}, [0.0, 0.5, 1.0, 1.5]),  # unusable FrameTime counts as absent
        ({}, None),
        ({'FrameTime': -5}, None),
    ],
    ids=[
        'vector',
        'vector-nonzero-first',
        'frame-time',
        'cine-rate',
        'display-rate',
        'frame-time-first',
        'vector-first',
        'zero-frame-time',
        'none',
        'negative-frame-time',
    ],
)
def test_frame_time_sources(write_dicom, frames, attrs, expected):
    path = write_dicom('times.dcm', frames, attrs=attrs)
    for result in (load_dsa(path), read_dsa_header(path)):
        if expected is None:
            assert result.frame_times is None
        else:
            assert result.frame_times.dtype == np.float64
            assert result.frame_times.shape == (4,)
            np.testing.assert_allclose(result.frame_times, expected, atol=1e-9)
            assert result.frame_times[0] == 0.0


def test_single_frame_times(write_dicom, dsa):
    path = write_dicom('one.dcm', dsa.random_stored((1, 8, 6), 12, False), attrs={'FrameTime': 100})
    np.testing.assert_array_equal(load_dsa(path).frame_times, [0.0])


@pytest.mark.parametrize('vector', [[0, 100, 100], [0, 100, 100, 100, 100], [0, 100, -10, 100]])
def test_bad_frame_time_vector_is_refused(write_dicom, frames, vector):
    path = write_dicom('scan_ftv.dcm', frames, attrs={'FrameTimeVector': vector})
    for reader in (load_dsa, read_dsa_header):
        with pytest.raises(DSAFormatError) as info:
            reader(path)
        message = str(info.value)
        assert message.startswith('scan_ftv.dcm: ')
        assert 'FrameTimeVector' in message
        assert info.value.field == 'FrameTimeVector'
        if len(vector) != 4:
            assert str(len(vector)) in message and 'NumberOfFrames=4' in message


# ------------------------------------------------------------------------------------------------------ view
@pytest.mark.parametrize(
    ('angle', 'view'),
    [
        (0, 'PA'),
        (90, 'LAT'),
        (-90, 'LAT'),
        (30, 'PA'),
        (-45, 'PA'),
        (46, 'LAT'),
        (135, 'LAT'),
        (136, 'PA'),
        (180, 'PA'),
        (-179, 'PA'),
        (270, 'LAT'),
        (-270, 'LAT'),
        (360, 'PA'),
    ],
)
def test_view_from_angle(write_dicom, frames, angle, view):
    assert view_from_angle(angle) == view
    path = write_dicom('angle.dcm', frames, attrs={'PositionerPrimaryAngle': angle, 'ViewPosition': 'LL'})
    assert load_dsa(path).view == view  # the angle wins over ViewPosition


@pytest.mark.parametrize(
    ('position', 'view'),
    [
        ('AP', 'PA'),
        ('PA', 'PA'),
        ('LL', 'LAT'),
        ('RL', 'LAT'),
        ('LAT', 'LAT'),
        ('LATERAL', 'LAT'),
        ('XX', 'UNKNOWN'),
    ],
)
def test_view_from_view_position(write_dicom, frames, position, view):
    path = write_dicom('pos.dcm', frames, attrs={'ViewPosition': position})
    assert load_dsa(path).view == view
    assert read_dsa_header(path).view == view


def test_view_unknown_without_geometry(write_dicom, frames):
    assert load_dsa(write_dicom('noview.dcm', frames)).view == 'UNKNOWN'
    assert view_from_angle(float('nan')) == 'UNKNOWN'


# ---------------------------------------------------------------------------------------- spacing & identity
@pytest.mark.parametrize(
    ('attrs', 'expected'),
    [
        ({'ImagerPixelSpacing': [0.2, 0.3], 'PixelSpacing': [0.5, 0.5]}, (0.2, 0.3)),
        ({'PixelSpacing': [0.5, 0.4]}, (0.5, 0.4)),
        ({'ImagerPixelSpacing': [0, 0.3], 'PixelSpacing': [0.5, 0.4]}, (0.5, 0.4)),  # unusable -> next source
        ({}, None),
    ],
)
def test_pixel_spacing(write_dicom, frames, attrs, expected):
    seq = load_dsa(write_dicom('spacing.dcm', frames, attrs=attrs))
    assert seq.pixel_spacing == expected
    if expected is not None:
        assert all(isinstance(v, float) for v in seq.pixel_spacing)


@pytest.mark.filterwarnings('ignore:Invalid value for VR DT')
@pytest.mark.parametrize(
    ('attrs', 'expected'),
    [
        (
            {
                'AcquisitionDateTime': '20240305101112.250000',
                'AcquisitionDate': '20000101',
                'AcquisitionTime': '000000',
            },
            datetime.datetime(2024, 3, 5, 10, 11, 12, 250000),
        ),
        (
            {
                'AcquisitionDate': '20240305',
                'AcquisitionTime': '101112',
                'ContentDate': '20000101',
                'ContentTime': '000000',
            },
            datetime.datetime(2024, 3, 5, 10, 11, 12),
        ),
        ({'ContentDate': '20240305', 'ContentTime': '1011'}, datetime.datetime(2024, 3, 5, 10, 11)),
        (
            {'AcquisitionDateTime': 'garbage', 'ContentDate': '20240305', 'ContentTime': '101112'},
            datetime.datetime(2024, 3, 5, 10, 11, 12),
        ),
        ({}, None),
    ],
)
def test_acquisition_datetime(write_dicom, frames, attrs, expected):
    seq = load_dsa(write_dicom('dt.dcm', frames, attrs=attrs))
    assert seq.acquisition_datetime == expected


def test_identifiers(write_dicom, frames, tmp_path):
    path = write_dicom('ids.dcm', frames, attrs={'PatientID': 'ANON-7', 'SeriesDescription': 'L ICA'})
    seq = load_dsa(str(path))
    header = read_dsa_header(path)
    assert seq.path == str(path) and header.path == str(path)
    assert seq.patient_id == 'ANON-7'
    assert seq.series_description == 'L ICA'
    assert seq.sop_class_uid == '1.2.840.10008.5.1.4.1.1.12.1'
    for uid in (seq.sop_instance_uid, seq.study_instance_uid, seq.series_instance_uid):
        assert isinstance(uid, str) and uid.startswith('1.2.')
    assert (seq.sop_instance_uid, seq.study_instance_uid) == (
        header.sop_instance_uid,
        header.study_instance_uid,
    )


# ---------------------------------------------------------------------------------------------- Enhanced XA
def _enhanced(dsa, dicom_factory, frames, *, shared=None, per_frame=None, attrs=None, syntax='explicit'):
    ds = dicom_factory.dataset(frames, sop_class=ENHANCED_XA, syntax=syntax, attrs=attrs)
    if shared is not None:
        ds.SharedFunctionalGroupsSequence = Sequence([shared])
    if per_frame is not None:
        ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    return ds


def test_enhanced_xa_functional_groups(dsa, dicom_factory, frames):
    start = datetime.datetime(2024, 3, 5, 10, 11, 12, 0)
    offsets = [0.0, 0.125, 0.25, 0.5]
    per_frame = [
        dsa.functional_group(
            FrameContentSequence=dsa.item(
                FrameAcquisitionDateTime=dsa.dt_string(start + datetime.timedelta(seconds=s)),
                FrameReferenceDateTime=dsa.dt_string(start),  # ignored: acquisition times take precedence
            ),
            PositionerPositionSequence=dsa.item(PositionerPrimaryAngle=-88.0, PositionerSecondaryAngle=2.0),
        )
        for s in offsets
    ]
    shared = dsa.functional_group(PixelMeasuresSequence=dsa.item(PixelSpacing=[0.15, 0.16]))
    ds = _enhanced(dsa, dicom_factory, frames, shared=shared, per_frame=per_frame, syntax='rle')
    path = dicom_factory.save(ds, 'enhanced.dcm')
    seq = load_dsa(path)
    np.testing.assert_allclose(seq.frames, dsa.expected_intensity(frames, 12, False), atol=1e-6)
    assert seq.sop_class_uid == ENHANCED_XA
    assert seq.view == 'LAT'
    assert seq.pixel_spacing == (0.15, 0.16)
    np.testing.assert_allclose(seq.frame_times, offsets, atol=1e-9)
    assert seq.acquisition_datetime == start  # first frame's FrameAcquisitionDateTime
    header = read_dsa_header(path)
    assert (header.view, header.pixel_spacing) == ('LAT', (0.15, 0.16))
    np.testing.assert_allclose(header.frame_times, offsets, atol=1e-9)


def test_enhanced_xa_shared_groups_and_reference_datetimes(dsa, dicom_factory, frames):
    start = datetime.datetime(2024, 3, 5, 23, 59, 59, 900000)  # crosses midnight
    per_frame = [
        dsa.functional_group(
            FrameContentSequence=dsa.item(
                FrameReferenceDateTime=dsa.dt_string(start + datetime.timedelta(seconds=0.2 * i))
            )
        )
        for i in range(4)
    ]
    shared = dsa.functional_group(
        PositionerPositionSequence=dsa.item(PositionerPrimaryAngle=3.0),
        PixelMeasuresSequence=dsa.item(PixelSpacing=[0.3, 0.3]),
    )
    ds = _enhanced(dsa, dicom_factory, frames, shared=shared, per_frame=per_frame)
    seq = load_dsa(dicom_factory.save(ds, 'enhanced_ref.dcm'))
    assert seq.view == 'PA'
    assert seq.pixel_spacing == (0.3, 0.3)
    np.testing.assert_allclose(seq.frame_times, [0.0, 0.2, 0.4, 0.6], atol=1e-9)


def test_enhanced_xa_frame_time_in_functional_group(dsa, dicom_factory, frames):
    shared = dsa.functional_group(XAXRFFrameCharacteristicsSequence=dsa.item(FrameTime=125.0))
    per_frame = [
        dsa.functional_group(FrameContentSequence=dsa.item(FrameAcquisitionNumber=1)) for _ in range(4)
    ]
    ds = _enhanced(dsa, dicom_factory, frames, shared=shared, per_frame=per_frame)
    seq = load_dsa(dicom_factory.save(ds, 'enhanced_ft.dcm'))
    np.testing.assert_allclose(seq.frame_times, [0.0, 0.125, 0.25, 0.375], atol=1e-9)
    assert seq.view == 'UNKNOWN' and seq.pixel_spacing is None


def test_enhanced_xa_top_level_imager_spacing_wins(dsa, dicom_factory, frames):
    shared = dsa.functional_group(PixelMeasuresSequence=dsa.item(PixelSpacing=[0.15, 0.15]))
    ds = _enhanced(dsa, dicom_factory, frames, shared=shared, attrs={'ImagerPixelSpacing': [0.2, 0.2]})
    assert load_dsa(dicom_factory.save(ds, 'enhanced_ips.dcm')).pixel_spacing == (0.2, 0.2)


def test_enhanced_xa_shared_rescale(dsa, dicom_factory, frames):
    shared = dsa.functional_group(
        PixelValueTransformationSequence=dsa.item(
            RescaleSlope=-1.0, RescaleIntercept=4095.0, RescaleType='US'
        )
    )
    ds = _enhanced(dsa, dicom_factory, frames, shared=shared)
    seq = load_dsa(dicom_factory.save(ds, 'enhanced_rescale.dcm'))
    np.testing.assert_allclose(seq.frames, dsa.expected_intensity(frames, 12, False, -1.0, 4095.0), atol=1e-6)


def test_enhanced_xa_non_monotonic_datetimes_fall_back(dsa, dicom_factory, frames):
    start = datetime.datetime(2024, 3, 5, 10, 0, 0)
    per_frame = [
        dsa.functional_group(
            FrameContentSequence=dsa.item(
                FrameAcquisitionDateTime=dsa.dt_string(start - datetime.timedelta(seconds=i))
            )
        )
        for i in range(4)
    ]
    ds = _enhanced(dsa, dicom_factory, frames, per_frame=per_frame, attrs={'CineRate': 10})
    np.testing.assert_allclose(
        load_dsa(dicom_factory.save(ds, 'backwards.dcm')).frame_times, [0, 0.1, 0.2, 0.3]
    )


def test_enhanced_xa_per_frame_count_mismatch(dsa, dicom_factory, frames):
    per_frame = [
        dsa.functional_group(FrameContentSequence=dsa.item(FrameAcquisitionNumber=1)) for _ in range(3)
    ]
    ds = _enhanced(dsa, dicom_factory, frames, per_frame=per_frame)
    path = dicom_factory.save(ds, 'enh_bad.dcm')
    with pytest.raises(
        DSAFormatError, match=r'^enh_bad\.dcm: .*PerFrameFunctionalGroupsSequence has 3 items'
    ):
        load_dsa(path)
