"""tools/infer.py end to end (DICOM folder with good and bad files -> findings.json + GIFs) and
tools/test.py --show-dir on whole sequences (GIF + MinIP PNG per test sequence)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope
from PIL import Image

from occlunet.synth import generate_dataset

from ..conftest import REPO, run_tool

CONFIG = REPO / 'configs' / 'occlunet1_dsa_tiny.py'
# 64 px network input (the DICOMs' size); every detection kept so that the untrained model links tracks
FAST = ['test_dataloader.dataset.pipeline.1.scale=(64,64)', 'model.test_cfg.score_thr=0.0',
        'model.tracker.score_thr=0.0']  # fmt: skip

TOP_KEYS = {
    'config': str,
    'checkpoint': str,
    'score_thr': float,
    'classes': list,
    'bbox_format': str,
    'files': list,
    'errors': list,
}
FILE_KEYS = {
    'path': str,
    'view': str,
    'num_frames': int,
    'frame_rate': (float, type(None)),
    'occlusion': str,
    'bbox': (list, type(None)),
    'class_name': (str, type(None)),
    'score': float,
    'confidence': (float, type(None)),
    'frame_ids': list,
    'num_tracks': int,
    'gif': (str, type(None)),
}


def check_findings(doc: dict) -> None:
    """findings.json against the schema documented in tools/infer.py."""
    assert set(doc) == set(TOP_KEYS)
    for key, kind in TOP_KEYS.items():
        assert isinstance(doc[key], kind), key
    assert 0.0 <= doc['score_thr'] <= 1.0 and doc['bbox_format'] == 'xywh, DICOM pixels'
    assert all(isinstance(c, str) for c in doc['classes'])
    for entry in doc['files']:
        assert set(entry) == set(FILE_KEYS)
        for key, kind in FILE_KEYS.items():
            assert isinstance(entry[key], kind), (key, entry[key])
        assert entry['view'] in ('PA', 'LAT', 'UNKNOWN') and entry['num_frames'] >= 1
        assert entry['occlusion'] in ('yes', 'no') and entry['num_tracks'] >= 0
        assert all(isinstance(f, int) and 0 <= f < entry['num_frames'] for f in entry['frame_ids'])
        if entry['occlusion'] == 'yes':
            assert len(entry['bbox']) == 4 and all(isinstance(v, float) for v in entry['bbox'])
            assert entry['bbox'][2] >= 0 and entry['bbox'][3] >= 0
            assert entry['class_name'] in doc['classes'] and entry['frame_ids'] and entry['num_tracks'] >= 1
            assert entry['confidence'] >= doc['score_thr'] and entry['score'] > 0
        else:
            assert entry['bbox'] is None and entry['class_name'] is None and entry['confidence'] is None
            assert entry['score'] == 0.0 and entry['frame_ids'] == []
    for error in doc['errors']:
        assert set(error) == {'path', 'error'} and all(isinstance(v, str) and v for v in error.values())


@pytest.fixture(scope='module')
def dsa_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One occluded study (PA + LAT, 64 px, 5-6 frames); annotations/all.json lists both runs."""
    root = tmp_path_factory.mktemp('infer_dsa')
    generate_dataset(
        root, 1, size=64, seed=0, progress=False, frames_min=5, frames_max=6, occlusion_fraction=1.0
    )
    return root


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny config's model, untrained, saved as a checkpoint."""
    cfg = Config.fromfile(str(CONFIG))
    with DefaultScope.overwrite_default_scope('mmdet'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
    path = tmp_path_factory.mktemp('infer_ckpt') / 'tiny.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


@pytest.fixture(scope='module')
def infer_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location('occlunet_tools_infer', REPO / 'tools' / 'infer.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def inputs(dsa_root: Path, tmp_path: Path) -> Path:
    """2 good DICOMs (one without extension, in a subfolder), a truncated one, a text file named x.dcm,
    and files that are not searched (notes.txt, an extension-less text file, a hidden .dcm)."""
    folder = tmp_path / 'in'
    (folder / 'sub').mkdir(parents=True)
    pa, lat = dsa_root / 'dicom' / 'S0000_PA.dcm', dsa_root / 'dicom' / 'S0000_LAT.dcm'
    shutil.copy(pa, folder / 'S0000_PA.dcm')
    shutil.copy(lat, folder / 'sub' / 'S0000_LAT')
    (folder / 'truncated.dcm').write_bytes(lat.read_bytes()[: lat.stat().st_size // 2])
    (folder / 'x.dcm').write_text('not a DICOM file\n')
    (folder / 'notes.txt').write_text('ignored\n')
    (folder / 'README').write_text('ignored: no DICOM preamble\n')
    (folder / '.hidden.dcm').write_text('ignored: hidden\n')
    return folder


def test_find_dicoms(infer_tool: ModuleType, inputs: Path):
    files, errors = infer_tool.find_dicoms([str(inputs), str(inputs / 'x.dcm'), str(inputs / 'missing.dcm')])
    names = [p.relative_to(inputs).as_posix() for p in files]
    assert names == ['S0000_PA.dcm', 'sub/S0000_LAT', 'truncated.dcm', 'x.dcm']  # x.dcm named twice: once
    assert errors == [{'path': str(inputs / 'missing.dcm'), 'error': 'no such file or directory'}]
    assert infer_tool.gif_names([Path('a/run.dcm'), Path('b/run.dcm'), Path('c/run x')]) == [
        'run.gif',
        'run_2.gif',
        'run_x.gif',
    ]


def test_infer_end_to_end(inputs: Path, checkpoint: Path, tmp_path: Path):
    out = tmp_path / 'out'
    proc = run_tool(
        'tools/infer.py', CONFIG, checkpoint, inputs, '--out-dir', out, '--score-thr', '0',
        '--cfg-options', *FAST, timeout=600,
    )  # fmt: skip
    doc = json.loads((out / 'findings.json').read_text())
    check_findings(doc)
    assert doc['config'] == str(CONFIG) and doc['checkpoint'] == str(checkpoint)
    assert doc['score_thr'] == 0.0 and doc['classes'] == ['occlusion']
    assert [f['path'] for f in doc['files']] == [
        str(inputs / 'S0000_PA.dcm'),
        str(inputs / 'sub' / 'S0000_LAT'),
    ]
    assert [f['view'] for f in doc['files']] == ['PA', 'LAT']
    assert sorted(Path(e['path']).name for e in doc['errors']) == ['truncated.dcm', 'x.dcm']
    assert all('DSAFormatError' in e['error'] for e in doc['errors'])
    assert 'truncated.dcm' in proc.stderr and 'x.dcm' in proc.stderr and 'infer' in proc.stderr  # + tqdm
    for entry in doc['files']:
        assert entry['occlusion'] == 'yes'  # score_thr 0: any track is a finding
        with Image.open(out / entry['gif']) as gif:
            assert gif.n_frames == entry['num_frames']
            assert gif.size[0] == 512 or gif.size[1] > 512  # long side 512 plus the caption strip
    assert sorted(p.name for p in out.iterdir()) == ['S0000_LAT.gif', 'S0000_PA.gif', 'findings.json']


def test_infer_threshold_no_gif_and_exit_codes(
    infer_tool: ModuleType, inputs: Path, checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
):
    out = tmp_path / 'strict'
    argv = [str(CONFIG), str(checkpoint), str(inputs / 'S0000_PA.dcm'), '--out-dir', str(out), '--no-gif',
            '--score-thr', '1.0', '--cfg-options', *FAST]  # fmt: skip
    assert infer_tool.main(argv) == 0
    doc = json.loads((out / 'findings.json').read_text())
    check_findings(doc)
    (entry,) = doc['files']
    assert entry['occlusion'] == 'no' and entry['gif'] is None and entry['num_tracks'] > 0
    assert doc['errors'] == [] and [p.name for p in out.iterdir()] == ['findings.json']

    bad = tmp_path / 'bad'
    argv = [str(CONFIG), str(checkpoint), str(inputs / 'x.dcm'), str(inputs / 'truncated.dcm'),
            '--out-dir', str(bad), '--cfg-options', *FAST]  # fmt: skip
    assert infer_tool.main(argv) == 1  # nothing succeeded
    doc = json.loads((bad / 'findings.json').read_text())
    check_findings(doc)
    assert doc['files'] == [] and len(doc['errors']) == 2
    assert (
        infer_tool.main([str(CONFIG), str(checkpoint), str(tmp_path / 'nothing'), '--out-dir', str(bad)]) == 1
    )
    assert 'no DICOM files found' in capsys.readouterr().err


def test_test_py_show_dir_draws_every_test_sequence(dsa_root: Path, checkpoint: Path, tmp_path: Path):
    show = tmp_path / 'show'
    run_tool(
        'tools/test.py', CONFIG, checkpoint, '--work-dir', tmp_path / 'work', '--data-root', dsa_root,
        '--show-dir', show, '--cfg-options', *FAST, 'test_dataloader.dataset.ann_file=annotations/all.json',
        timeout=600,
    )  # fmt: skip
    videos = json.loads((dsa_root / 'annotations' / 'all.json').read_text())['videos']
    expected = {f'{v["id"]}_{Path(v["file_name"]).stem}': v['num_frames'] for v in videos}
    assert len(expected) == 2
    assert sorted(p.name for p in show.iterdir()) == sorted(
        [f'{name}.gif' for name in expected] + [f'{name}_minip.png' for name in expected]
    )
    for name, num_frames in expected.items():
        with Image.open(show / f'{name}.gif') as gif:
            assert gif.n_frames == num_frames
        with Image.open(show / f'{name}_minip.png') as png:
            assert png.size[0] == 512 and png.mode == 'RGB'
