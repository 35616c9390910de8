"""Decoded values of every supported transfer syntax / bit depth against the spec's intensity formula."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from occlunet.dicom import DSASequence, intensity_lut, load_dsa, read_dsa_header, stored_value_range

SHAPE = (3, 32, 40)  # JPEG 2000 encoders need >= 32 pixels a side at the default resolutions
# (BitsAllocated, BitsStored, signed)
DEPTHS = [
    (8, 8, False),
    (8, 8, True),
    (16, 10, False),
    (16, 12, False),
    (16, 12, True),
    (16, 16, False),
    (16, 16, True),
]
NATIVE = ['implicit', 'explicit', 'big', 'deflated']
LOSSLESS_COMPRESSED = ['rle', 'jpeg-lossless', 'jpeg-lossless-sv1', 'jpeg-ls', 'j2k', 'htj2k']


def _cases():
    for syntax in NATIVE + LOSSLESS_COMPRESSED:
        for bits_allocated, bits_stored, signed in DEPTHS:
            if syntax == 'htj2k' and bits_allocated == 8 and signed:
                continue  # imagecodecs' HTJ2K encoder has no signed 8-bit input
            yield pytest.param(
                syntax,
                bits_allocated,
                bits_stored,
                signed,
                id=f'{syntax}-{bits_allocated}-{bits_stored}-{"s" if signed else "u"}',
            )


def _check_sequence(seq: DSASequence, expected: np.ndarray) -> None:
    assert isinstance(seq, DSASequence)
    assert seq.frames.dtype == np.float32
    assert seq.frames.ndim == 3
    assert seq.frames.shape == expected.shape
    assert (seq.num_frames, seq.height, seq.width) == expected.shape
    assert float(seq.frames.min()) >= 0.0 and float(seq.frames.max()) <= 1.0
    np.testing.assert_allclose(seq.frames, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize(('syntax', 'bits_allocated', 'bits_stored', 'signed'), list(_cases()))
def test_lossless_roundtrip_matches_formula(dsa, write_dicom, syntax, bits_allocated, bits_stored, signed):
    stored = dsa.random_stored(SHAPE, bits_stored, signed, seed=bits_stored + 100 * signed)
    path = write_dicom(
        f'{syntax}.dcm',
        stored,
        syntax=syntax,
        bits_allocated=bits_allocated,
        bits_stored=bits_stored,
        signed=signed,
    )
    seq = load_dsa(path)
    _check_sequence(seq, dsa.expected_intensity(stored, bits_stored, signed))
    assert (
        seq.transfer_syntax_uid == pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID
    )
    # the extreme stored values reach the ends of [0, 1] exactly: no per-image stretching is involved
    assert seq.frames.reshape(-1)[0] == 0.0 and seq.frames.reshape(-1)[-1] == 1.0


@pytest.mark.parametrize(
    ('syntax', 'bits_allocated', 'bits_stored', 'signed', 'tolerance'),
    [
        ('jpeg-baseline', 8, 8, False, 8),
        ('jpeg-ls-near', 16, 12, False, 2),
        ('jpeg-ls-near', 8, 8, False, 2),
        ('j2k-lossy', 16, 12, False, 8),
        ('j2k-lossy', 16, 12, True, 8),
        ('j2k-lossy', 8, 8, False, 4),
    ],
)
def test_lossy_syntaxes(dsa, write_dicom, syntax, bits_allocated, bits_stored, signed, tolerance):
    stored = dsa.smooth_stored((2, 32, 40), bits_stored, signed)
    path = write_dicom(
        f'{syntax}.dcm',
        stored,
        syntax=syntax,
        bits_allocated=bits_allocated,
        bits_stored=bits_stored,
        signed=signed,
    )
    seq = load_dsa(path)
    # exact against pydicom's own decode of the stored values, pushed through the formula
    decoded = pydicom.dcmread(path).pixel_array.astype(np.int64).reshape(stored.shape)
    _check_sequence(seq, dsa.expected_intensity(decoded, bits_stored, signed))
    # and close to what was encoded (the codec is lossy; the error is bounded in stored units)
    low, high = stored_value_range(bits_stored, int(signed))
    np.testing.assert_allclose(
        seq.frames, dsa.expected_intensity(stored, bits_stored, signed), atol=tolerance / (high - low)
    )


@pytest.mark.parametrize('syntax', ['explicit', 'rle', 'j2k', 'jpeg-ls'])
@pytest.mark.parametrize(('slope', 'intercept'), [(2.0, -1024.0), (-1.5, 300.0), (0.25, 10.0)])
def test_rescale_slope_intercept(dsa, write_dicom, syntax, slope, intercept):
    stored = dsa.random_stored(SHAPE, 12, False, seed=3)
    path = write_dicom(
        'rescaled.dcm',
        stored,
        syntax=syntax,
        bits_stored=12,
        attrs={'RescaleSlope': slope, 'RescaleIntercept': intercept},
    )
    seq = load_dsa(path)
    _check_sequence(seq, dsa.expected_intensity(stored, 12, False, slope, intercept))
    assert seq.header.rescale_slope == slope and seq.header.rescale_intercept == intercept
    if slope < 0:  # a negative slope still spans [0, 1], reversed
        assert seq.frames.reshape(-1)[0] == 1.0 and seq.frames.reshape(-1)[-1] == 0.0


@pytest.mark.parametrize('syntax', ['explicit', 'big', 'rle', 'jpeg-lossless-sv1', 'j2k'])
@pytest.mark.parametrize('signed', [False, True])
def test_monochrome1_is_inverted(dsa, write_dicom, syntax, signed):
    stored = dsa.random_stored(SHAPE, 12, signed, seed=4)
    path = write_dicom('mono1.dcm', stored, syntax=syntax, signed=signed, photometric='MONOCHROME1')
    seq = load_dsa(path)
    _check_sequence(seq, dsa.expected_intensity(stored, 12, signed, monochrome1=True))
    assert seq.header.photometric_interpretation == 'MONOCHROME1'
    # stored minimum (white in MONOCHROME1) -> 1, stored maximum (black) -> 0: vessels stay dark
    assert seq.frames.reshape(-1)[0] == 1.0 and seq.frames.reshape(-1)[-1] == 0.0


@pytest.mark.parametrize('syntax', ['explicit', 'implicit', 'rle', 'jpeg-ls', 'j2k', 'jpeg-lossless'])
@pytest.mark.parametrize('with_number_of_frames', [True, False])
def test_single_frame_is_3d(dsa, write_dicom, syntax, with_number_of_frames):
    stored = dsa.random_stored((1, 40, 36), 12, False, seed=5)
    path = write_dicom(
        'single.dcm', stored[0], syntax=syntax, number_of_frames=1 if with_number_of_frames else None
    )
    seq = load_dsa(path)
    _check_sequence(seq, dsa.expected_intensity(stored, 12, False))
    assert seq.frames.shape == (1, 40, 36)


@pytest.mark.parametrize('syntax', ['explicit', 'big', 'implicit'])
def test_unused_high_bits_are_ignored(dsa, dicom_factory, syntax):
    """Garbage in the bits above BitsStored is masked off (unsigned) / replaced by the sign (signed)."""
    rng = np.random.default_rng(6)
    unsigned = dsa.random_stored(SHAPE, 12, False, seed=6)
    garbage = rng.integers(0, 16, size=SHAPE) << 12
    ds = dicom_factory.dataset(unsigned, syntax=syntax)
    order = '>' if syntax == 'big' else '<'
    ds.PixelData = (unsigned | garbage).astype(f'{order}u2').tobytes()
    seq = load_dsa(dicom_factory.save(ds, 'garbage_bits_u.dcm'))
    _check_sequence(seq, dsa.expected_intensity(unsigned, 12, False))

    signed = dsa.random_stored(SHAPE, 12, True, seed=7)
    ds = dicom_factory.dataset(signed, syntax=syntax, signed=True)
    pattern = (signed & 0xFFF) | garbage  # sign bits not extended, high nibble random
    ds.PixelData = pattern.astype(f'{order}u2').tobytes()
    seq = load_dsa(dicom_factory.save(ds, 'garbage_bits_s.dcm'))
    _check_sequence(seq, dsa.expected_intensity(signed, 12, True))


def test_big_endian_8bit_written_as_ow(dsa, dicom_factory):
    stored = dsa.random_stored((3, 5, 7), 8, False, seed=8)  # odd number of bytes per frame
    ds = dicom_factory.dataset(stored, syntax='big', bits_allocated=8, bits_stored=8)
    raw = stored.astype(np.uint8).tobytes() + b'\0'
    ds.PixelData = np.frombuffer(raw, dtype='<u2').astype('>u2').tobytes()  # OW words, big endian
    ds['PixelData'].VR = 'OW'
    seq = load_dsa(dicom_factory.save(ds, 'be8ow.dcm'))
    _check_sequence(seq, dsa.expected_intensity(stored, 8, False))


@pytest.mark.parametrize(
    ('sop_class', 'modality'),
    [
        ('1.2.840.10008.5.1.4.1.1.7', 'OT'),
        ('1.2.840.10008.5.1.4.1.1.12.2', 'RF'),
        ('1.2.840.10008.5.1.4.1.1.12.1.1', 'XA'),
        ('1.2.840.10008.5.1.4.1.1.12.2.1', 'RF'),
        ('1.2.840.10008.5.1.4.1.1.2', 'CT'),  # monochrome CT exports are accepted too
    ],
)
def test_other_sop_classes_are_accepted_and_exposed(dsa, write_dicom, sop_class, modality):
    stored = dsa.random_stored(SHAPE, 8, False, seed=9)
    path = write_dicom(
        'export.dcm',
        stored,
        bits_allocated=8,
        bits_stored=8,
        sop_class=sop_class,
        attrs={'Modality': modality},
    )
    seq = load_dsa(path)
    _check_sequence(seq, dsa.expected_intensity(stored, 8, False))
    assert seq.sop_class_uid == sop_class
    assert seq.header.modality == modality


def test_odd_length_native_pixel_data_with_padding(dsa, write_dicom):
    stored = dsa.random_stored((1, 3, 5), 8, False, seed=10)  # 15 bytes, written with a pad byte
    seq = load_dsa(write_dicom('odd.dcm', stored, bits_allocated=8, bits_stored=8))
    _check_sequence(seq, dsa.expected_intensity(stored, 8, False))


def test_header_matches_loaded_sequence(dsa, write_dicom):
    stored = dsa.random_stored((4, 12, 9), 10, True, seed=11)
    path = write_dicom('hdr.dcm', stored, syntax='rle', bits_stored=10, signed=True)
    header = read_dsa_header(path)
    seq = load_dsa(path)
    assert header.shape == seq.frames.shape == (4, 12, 9)
    assert (header.bits_allocated, header.bits_stored, header.pixel_representation) == (16, 10, 1)
    assert header.sop_instance_uid == seq.sop_instance_uid
    assert seq.header.shape == header.shape


@pytest.mark.parametrize(('bits_allocated', 'bits_stored', 'signed'), DEPTHS + [(16, 1, False), (8, 3, True)])
@pytest.mark.parametrize('monochrome1', [False, True])
def test_intensity_lut_covers_every_word(dsa, bits_allocated, bits_stored, signed, monochrome1):
    lut = intensity_lut(bits_allocated, bits_stored, int(signed), 1.0, 0.0, monochrome1)
    assert lut.dtype == np.float32 and lut.shape == (2**bits_allocated,)
    low, high = stored_value_range(bits_stored, int(signed))
    values = np.arange(low, high + 1)
    words = values & (2**bits_stored - 1)
    np.testing.assert_allclose(
        lut[words], dsa.expected_intensity(values, bits_stored, signed, monochrome1=monochrome1), atol=1e-7
    )
    # words that differ only above BitsStored map to the same intensity
    if bits_stored < bits_allocated:
        np.testing.assert_array_equal(lut[words | (1 << bits_stored)], lut[words])
