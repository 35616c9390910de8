"""Every bad file raises DSAFormatError (a ValueError) naming the file and the field -- and nothing else."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom import uid
from pydicom.encaps import encapsulate
from pydicom.filebase import DicomFileLike
from pydicom.filewriter import write_dataset
from pydicom.pixels import get_decoder

import occlunet.dicom.loader as loader_module
from occlunet.dicom import DSAFormatError, DSASequence, load_dsa, read_dsa_header


def assert_format_error(path: Path, field: str, *fragments: str, reader=load_dsa, **kwargs) -> DSAFormatError:
    with pytest.raises(DSAFormatError) as info:
        reader(path, **kwargs)
    error = info.value
    message = str(error)
    assert isinstance(error, ValueError)
    assert message.startswith(f'{path.name}: '), message
    assert field in message, message
    assert error.field == field
    for fragment in fragments:
        assert fragment in message, message
    return error


@pytest.fixture
def stored(dsa):
    return dsa.random_stored((3, 32, 40), 12, False, seed=2)


# ---------------------------------------------------------------------------------------------- not DICOM
@pytest.mark.parametrize(
    'content',
    [b'', b'hello, this is not a DICOM file\n', b'\x89PNG\r\n\x1a\n' + bytes(300), bytes(128) + b'DIC'],
    ids=['empty', 'text', 'png', 'short-preamble'],
)
def test_not_dicom(tmp_path, content):
    path = tmp_path / 'scan_001.dcm'
    path.write_bytes(content)
    for reader in (load_dsa, read_dsa_header):
        assert_format_error(path, 'FileMetaInformation', 'not a DICOM file', reader=reader)


def test_preamble_followed_by_garbage(tmp_path):
    path = tmp_path / 'scan_002.dcm'
    path.write_bytes(bytes(128) + b'DICM' + np.random.default_rng(0).bytes(2000))
    with pytest.raises(DSAFormatError, match=r'^scan_002\.dcm: '):
        load_dsa(path)


def test_dataset_without_preamble_or_file_meta(tmp_path, dicom_factory, stored):
    ds = dicom_factory.dataset(stored)
    path = tmp_path / 'raw.dcm'
    with open(path, 'wb') as handle:
        fp = DicomFileLike(handle)
        fp.is_little_endian, fp.is_implicit_VR = True, False
        write_dataset(fp, ds)  # a bare data set: no preamble, no File Meta
    assert_format_error(path, 'FileMetaInformation', 'not a DICOM file')


def test_file_meta_without_preamble_is_read(dicom_factory, dsa, stored):
    path = dicom_factory.write('nopreamble.dcm', stored)
    data = path.read_bytes()
    assert data[128:132] == b'DICM'
    path.write_bytes(data[132:])  # starts directly with the (0002,xxxx) File Meta elements
    seq = load_dsa(path)
    np.testing.assert_allclose(seq.frames, dsa.expected_intensity(stored, 12, False), atol=1e-6)


def test_missing_path_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_dsa(tmp_path / 'nope.dcm')


# --------------------------------------------------------------------------------------------- pixel data
def test_truncated_native_pixel_data(dicom_factory, stored):
    ds = dicom_factory.dataset(stored)
    ds.PixelData = ds.PixelData[:-100]
    path = dicom_factory.save(ds, 'scan_003.dcm')
    assert_format_error(path, 'PixelData', 'truncated', 'expected 7680 bytes', 'got 7580')
    assert read_dsa_header(path).num_frames == 3  # the header alone is fine


@pytest.mark.parametrize('syntax', ['explicit', 'rle', 'j2k'])
@pytest.mark.filterwarnings('ignore:End of file reached')
def test_file_cut_inside_pixel_data(dicom_factory, stored, syntax):
    path = dicom_factory.write('scan_004.dcm', stored, syntax=syntax)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 200])
    assert_format_error(path, 'PixelData')


@pytest.mark.parametrize('syntax', ['explicit', 'rle'])
def test_missing_pixel_data(dicom_factory, stored, syntax):
    ds = dicom_factory.dataset(stored, syntax=syntax)
    del ds.PixelData
    path = dicom_factory.save(ds, 'scan_005.dcm')
    assert_format_error(path, 'PixelData', 'missing')


def test_native_pixel_data_longer_than_number_of_frames(dicom_factory, stored):
    path = dicom_factory.write('scan_006.dcm', stored, number_of_frames=2)
    assert_format_error(path, 'NumberOfFrames', 'NumberOfFrames=2', 'hold 3 frames')


@pytest.mark.parametrize(
    ('syntax', 'has_bot'), [('rle', None), ('jpeg-ls', True), ('jpeg-ls', False), ('j2k', None)]
)
@pytest.mark.parametrize('declared', [2, 4])
@pytest.mark.filterwarnings('ignore::UserWarning')
def test_encapsulated_frame_count_mismatch(dicom_factory, stored, syntax, has_bot, declared):
    options = {} if has_bot is None else {'has_bot': has_bot}
    ds = dicom_factory.dataset(stored, syntax=syntax, **options)
    ds.NumberOfFrames = declared
    path = dicom_factory.save(ds, 'scan_007.dcm')
    assert_format_error(path, 'NumberOfFrames', f'NumberOfFrames={declared}')


@pytest.mark.parametrize('syntax', ['j2k', 'jpeg-ls', 'jpeg-lossless', 'rle'])
@pytest.mark.filterwarnings('ignore::UserWarning')
def test_corrupt_codestream(dicom_factory, dsa, stored, syntax):
    ds = dicom_factory.dataset(stored, syntax=syntax)
    frames = list(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=3))
    broken = frames[1][: len(frames[1]) // 3]  # frame 1 cut short: not decodable
    if syntax == 'rle':
        broken = b'\x07' + bytes(63)  # an RLE header claiming 7 segments, all at offset 0
    ds.PixelData = encapsulate([frames[0], broken, frames[2]], has_bot=True)
    path = dicom_factory.save(ds, 'scan_008.dcm')
    assert_format_error(path, 'PixelData', 'frame 1')


def test_encapsulated_data_in_a_native_syntax(dicom_factory, dsa):
    ds = dicom_factory.dataset(dsa.smooth_stored((3, 32, 40), 12), syntax='rle')  # compresses well
    ds.file_meta.TransferSyntaxUID = uid.ExplicitVRLittleEndian
    path = dicom_factory.save(ds, 'scan_009.dcm', raw=True)
    with pytest.raises(DSAFormatError, match=r'^scan_009\.dcm: .*(PixelData|NumberOfFrames)'):
        load_dsa(path)


def test_native_data_in_an_encapsulated_syntax(dicom_factory, stored):
    ds = dicom_factory.dataset(stored)
    ds.file_meta.TransferSyntaxUID = uid.JPEG2000Lossless
    path = dicom_factory.save(ds, 'scan_010.dcm', raw=True)
    assert_format_error(path, 'PixelData')


# ----------------------------------------------------------------------------------------- image pixel module
@pytest.mark.parametrize(('photometric', 'samples'), [('RGB', 3), ('YBR_FULL', 3), ('PALETTE COLOR', 1)])
def test_colour_is_refused(dicom_factory, stored, photometric, samples):
    ds = dicom_factory.dataset(stored)
    ds.PhotometricInterpretation = photometric
    ds.SamplesPerPixel = samples
    ds.PixelData = np.repeat(np.frombuffer(ds.PixelData, '<u2'), samples).tobytes()
    path = dicom_factory.save(ds, 'scan_011.dcm')
    for reader in (load_dsa, read_dsa_header):
        assert_format_error(
            path,
            'PhotometricInterpretation',
            f'PhotometricInterpretation={photometric}',
            'only MONOCHROME1/2 supported',
            f'SamplesPerPixel={samples}',
            reader=reader,
        )


def test_multi_sample_monochrome_is_refused(dicom_factory, stored):
    ds = dicom_factory.dataset(stored)
    ds.SamplesPerPixel = 3
    assert_format_error(dicom_factory.save(ds, 'scan_011b.dcm'), 'SamplesPerPixel', 'SamplesPerPixel=3')


def test_bits_stored_exceeds_bits_allocated(dicom_factory, stored):
    ds = dicom_factory.dataset(stored)
    ds.BitsStored = 18
    path = dicom_factory.save(ds, 'scan_012.dcm')
    with pytest.raises(DSAFormatError) as info:
        load_dsa(path)
    assert str(info.value) == 'scan_012.dcm: BitsStored=18 exceeds BitsAllocated=16'


@pytest.mark.parametrize('bits_allocated', [1, 12, 32])
def test_bits_allocated_must_be_8_or_16(dicom_factory, stored, bits_allocated):
    ds = dicom_factory.dataset(stored)
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = min(12, bits_allocated)
    assert_format_error(
        dicom_factory.save(ds, 'scan_013.dcm'), 'BitsAllocated', f'BitsAllocated={bits_allocated}'
    )


@pytest.mark.parametrize(
    ('keyword', 'value'), [('BitsStored', 0), ('PixelRepresentation', 2), ('RescaleSlope', 0)]
)
def test_invalid_encoding_values(dicom_factory, stored, keyword, value):
    ds = dicom_factory.dataset(stored)
    setattr(ds, keyword, value)
    assert_format_error(dicom_factory.save(ds, 'scan_014.dcm'), keyword, f'{keyword}={value}')


@pytest.mark.parametrize('keyword', ['Rows', 'Columns', 'NumberOfFrames'])
def test_zero_dimensions(dicom_factory, stored, keyword):
    ds = dicom_factory.dataset(stored)
    setattr(ds, keyword, 0)
    path = dicom_factory.save(ds, 'scan_015.dcm')
    for reader in (load_dsa, read_dsa_header):
        assert_format_error(path, keyword, f'{keyword}=0', reader=reader)


@pytest.mark.parametrize(
    'keyword',
    [
        'Rows',
        'Columns',
        'BitsAllocated',
        'BitsStored',
        'PixelRepresentation',
        'PhotometricInterpretation',
        'SamplesPerPixel',
    ],
)
def test_missing_required_fields(dicom_factory, stored, keyword):
    ds = dicom_factory.dataset(stored)
    ds['PixelData'].VR = 'OW'  # no longer ambiguous when BitsAllocated is gone
    delattr(ds, keyword)
    path = dicom_factory.save(ds, 'scan_016.dcm')
    for reader in (load_dsa, read_dsa_header):
        assert_format_error(path, keyword, 'missing', reader=reader)


def test_empty_required_field(dicom_factory, stored):
    ds = dicom_factory.dataset(stored)
    ds.Rows = None
    assert_format_error(dicom_factory.save(ds, 'scan_016b.dcm'), 'Rows', 'missing')


@pytest.mark.filterwarnings('ignore::UserWarning')
def test_non_integer_number_of_frames(dicom_factory, stored):
    ds = dicom_factory.dataset(stored)
    ds.add_new('NumberOfFrames', 'IS', '2.5')
    with pytest.raises(DSAFormatError, match=r'^scan_017\.dcm: .*NumberOfFrames'):
        load_dsa(dicom_factory.save(ds, 'scan_017.dcm'))


# ----------------------------------------------------------------------------------------- transfer syntax
@pytest.mark.parametrize(
    'syntax_uid',
    ['1.2.3.4.5.6', '1.2.840.10008.1.2.4.102', '1.2.840.10008.1.2.4.94'],
    ids=['private', 'mpeg4', 'jpip'],
)
def test_unsupported_transfer_syntax(dicom_factory, stored, syntax_uid):
    ds = dicom_factory.dataset(stored)
    ds.file_meta.TransferSyntaxUID = syntax_uid
    path = dicom_factory.save(ds, 'scan_018.dcm')
    for reader in (load_dsa, read_dsa_header):
        assert_format_error(
            path, 'TransferSyntaxUID', f'TransferSyntaxUID={syntax_uid}', 'not supported', reader=reader
        )


def test_missing_decoder_names_the_package(dicom_factory, stored, monkeypatch):
    path = dicom_factory.write('scan_019.dcm', stored, syntax='j2k')
    decoder = get_decoder(uid.JPEG2000Lossless)
    monkeypatch.setattr(decoder, '_available', {})
    monkeypatch.setattr(decoder, '_unavailable', {'pylibjpeg': ('pylibjpeg-openjpeg',)})
    for reader in (load_dsa, read_dsa_header):
        assert_format_error(
            path,
            'TransferSyntaxUID',
            'no pixel data decoder installed',
            'pip install',
            'pylibjpeg-openjpeg',
            reader=reader,
        )


# ------------------------------------------------------------------------------------------------ size limits
def test_too_many_frames_refused_before_reading_pixels(dicom_factory, stored, monkeypatch):
    ds = dicom_factory.dataset(stored)
    ds.NumberOfFrames = 100_000  # tiny PixelData: the size error must come first, not the truncation one
    path = dicom_factory.save(ds, 'scan_020.dcm')

    def forbidden(*args, **kwargs):
        raise AssertionError('pixel data must not be read or decoded for an oversize file')

    monkeypatch.setattr(loader_module, 'decode_frames', forbidden)
    monkeypatch.setattr(loader_module, 'dcmread', forbidden)
    for reader in (load_dsa, read_dsa_header):
        error = assert_format_error(
            path, 'NumberOfFrames', 'NumberOfFrames=100000', 'max_frames=512', reader=reader
        )
        assert 'truncated' not in str(error)


def test_limits_are_configurable(dicom_factory, stored, monkeypatch):
    path = dicom_factory.write('scan_021.dcm', stored)  # 3 x 32 x 40 = 3840 pixels
    assert_format_error(path, 'NumberOfFrames', 'max_frames=2', max_frames=2)
    assert_format_error(path, 'NumberOfFrames', '3840 pixels', 'max_pixels=3839', max_pixels=3839)
    assert load_dsa(path, max_frames=3, max_pixels=3840).frames.shape == (3, 32, 40)


def test_huge_declared_image_refused(dicom_factory, stored, monkeypatch):
    ds = dicom_factory.dataset(stored, syntax='rle')
    ds.Rows, ds.Columns = 65535, 65535
    path = dicom_factory.save(ds, 'scan_022.dcm')
    monkeypatch.setattr(
        loader_module, 'decode_frames', lambda *a, **k: pytest.fail('decoded an oversize file')
    )
    assert_format_error(path, 'NumberOfFrames', 'max_pixels')


# ---------------------------------------------------------------------------------- hostile input, no writes
def _mutations(data: bytes, rng: np.random.Generator, count: int):
    for cut in np.linspace(0, len(data) - 1, num=count // 2).astype(int):
        yield data[:cut]
    for _ in range(count // 2):
        mutated = bytearray(data)
        for position in rng.integers(0, len(data), size=rng.integers(1, 8)):
            mutated[position] = int(rng.integers(0, 256))
        yield bytes(mutated)


@pytest.mark.parametrize('syntax', ['explicit', 'rle', 'j2k', 'jpeg-ls'])
@pytest.mark.filterwarnings('ignore')
def test_fuzzed_files_only_raise_format_errors(dicom_factory, dsa, syntax):
    stored = dsa.random_stored((2, 32, 32), 12, False, seed=3)
    attrs = {'FrameTime': 100.0, 'PositionerPrimaryAngle': 10.0, 'ImagerPixelSpacing': [0.2, 0.2]}
    original = dicom_factory.write('seed.dcm', stored, syntax=syntax, attrs=attrs).read_bytes()
    rng = np.random.default_rng(42)
    path = dicom_factory.directory / 'fuzz.dcm'
    outcomes = {'ok': 0, 'error': 0}
    for data in _mutations(original, rng, 120):
        path.write_bytes(data)
        try:
            seq = load_dsa(path, max_pixels=10**6)
        except DSAFormatError as error:
            assert str(error).startswith('fuzz.dcm: ')
            outcomes['error'] += 1
        else:
            assert isinstance(seq, DSASequence)
            assert seq.frames.dtype == np.float32 and seq.frames.ndim == 3
            assert np.all((seq.frames >= 0) & (seq.frames <= 1))
            outcomes['ok'] += 1
    assert outcomes['error'] > 0  # truncations are always refused


def test_nothing_is_written(dicom_factory, dsa, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stored = dsa.random_stored((2, 32, 32), 12, False)
    paths = [
        dicom_factory.write(f'{syntax}.dcm', stored, syntax=syntax) for syntax in ('explicit', 'rle', 'j2k')
    ]
    bad = tmp_path / 'bad.dcm'
    bad.write_bytes(b'not dicom')
    before = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    for path in paths:
        load_dsa(path)
        read_dsa_header(path)
    with pytest.raises(DSAFormatError):
        load_dsa(bad)
    after = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    assert after == before
    assert sorted(os.listdir(tmp_path)) == sorted(before)


def test_error_pickles():
    error = DSAFormatError('/data/scan_012.dcm', 'BitsStored', 'BitsStored=18 exceeds BitsAllocated=16')
    clone = pickle.loads(pickle.dumps(error))
    assert str(clone) == str(error) == 'scan_012.dcm: BitsStored=18 exceeds BitsAllocated=16'
    assert (clone.path, clone.field) == ('/data/scan_012.dcm', 'BitsStored')
    assert str(DSAFormatError('a/b.dcm', 'Rows', 'must be positive')) == 'b.dcm: Rows: must be positive'
