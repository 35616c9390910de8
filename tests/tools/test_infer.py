"""tools/infer.py end to end (DICOM folder with good and bad files -> findings.json + GIFs; broken
checkpoints, awkward runs, a failing GIF, Ctrl-C, a killed run resumed) and tools/test.py --show-dir on whole
sequences (GIF + MinIP PNG per test sequence)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from occlunet.synth import generate_dataset

from ..apis.degenerate_runs import explode_box_regression, nan_weights, save_checkpoint, write_run
from ..conftest import REPO, load_tool, run_tool, tool_env

CONFIG = REPO / 'configs' / 'occlunet1_dsa_tiny.py'
# 64 px network input (the DICOMs' size); every detection kept so that the untrained model links tracks
FAST = ['test_dataloader.dataset.pipeline.1.scale=(64,64)', 'model.test_cfg.score_thr=0.0',
        'model.tracker.score_thr=0.0']  # fmt: skip

TOP_KEYS = {
    'config': str,
    'checkpoint': str,
    'config_sha256': str,
    'checkpoint_sha256': str,
    'score_thr': float,
    'classes': list,
    'bbox_format': str,
    'complete': bool,
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
    'export_errors': list,
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
            assert min(entry['bbox']) >= 0  # clipped to the image: x, y, w, h >= 0
            assert entry['class_name'] in doc['classes'] and entry['frame_ids'] and entry['num_tracks'] >= 1
            assert entry['confidence'] >= doc['score_thr'] and entry['score'] > 0
        else:
            assert entry['bbox'] is None and entry['class_name'] is None and entry['confidence'] is None
            assert entry['score'] == 0.0 and entry['frame_ids'] == []
        for error in entry['export_errors']:
            assert set(error) == {'what', 'error'} and error['what'] == 'gif' and entry['gif'] is None
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
    return save_checkpoint(CONFIG, tmp_path_factory.mktemp('infer_ckpt') / 'tiny.pth')


@pytest.fixture(scope='module')
def infer_tool() -> ModuleType:
    return load_tool('tools/infer.py')


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
    assert doc['complete'] and doc['config'] == str(CONFIG) and doc['checkpoint'] == str(checkpoint)
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


@pytest.fixture(scope='module')
def awkward(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """160x128 (W x H) 8 frames, 40x48, 1 frame, 2 frames: the runs that broke drawing and streaming."""
    folder = tmp_path_factory.mktemp('awkward')
    write_run(folder / 'a_wide.dcm', 8, height=128, width=160)
    write_run(folder / 'b_tiny.dcm', 5, height=48, width=40, seed=1)
    write_run(folder / 'c_one.dcm', 1, height=64, width=64, seed=2)
    write_run(folder / 'd_two.dcm', 2, height=64, width=64, seed=3)
    return folder


def test_infer_exploding_boxes_and_nan_weights(
    infer_tool: ModuleType, awkward: Path, tmp_path: Path, capsys: pytest.CaptureFixture
):
    exploding = save_checkpoint(CONFIG, tmp_path / 'exploding.pth', explode_box_regression)
    out = tmp_path / 'exploding'
    argv = [str(CONFIG), str(exploding), str(awkward), '--out-dir', str(out), '--score-thr', '0',
            '--gif-size', '64', '--cfg-options', *FAST]  # fmt: skip
    assert infer_tool.main(argv) == 0
    doc = json.loads((out / 'findings.json').read_text())
    check_findings(doc)
    assert doc['complete'] and doc['errors'] == [] and [f['num_frames'] for f in doc['files']] == [8, 5, 1, 2]
    for entry, (width, height) in zip(doc['files'], [(160, 128), (40, 48), (64, 64), (64, 64)]):
        assert entry['occlusion'] == 'yes' and entry['bbox'] == pytest.approx([0, 0, width, height])
        assert entry['export_errors'] == [] and (out / entry['gif']).exists()

    nan = save_checkpoint(CONFIG, tmp_path / 'nan.pth', nan_weights)
    out = tmp_path / 'nan'
    argv = [str(CONFIG), str(nan), str(awkward), '--out-dir', str(out), '--cfg-options', *FAST]
    assert infer_tool.main(argv) == 1  # no file could be read
    doc = json.loads((out / 'findings.json').read_text())
    check_findings(doc)
    assert doc['files'] == [] and len(doc['errors']) == 4
    for error in doc['errors']:
        assert error['error'].startswith('NonFiniteOutputError: model produced non-finite')
        assert error['error'].endswith('at frame 0 — is the checkpoint diverged or untrained?')
    assert 'Traceback' not in capsys.readouterr().err


def test_infer_keeps_the_finding_when_its_gif_fails(
    infer_tool: ModuleType, inputs: Path, checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
):  # fmt: skip
    import occlunet.visualization

    write_gif = occlunet.visualization.write_gif

    def flaky(frames: np.ndarray, path: str, fps: float) -> str:
        if 'LAT' in str(path):
            raise OSError(28, 'No space left on device')
        return write_gif(frames, path, fps=fps)

    monkeypatch.setattr(occlunet.visualization, 'write_gif', flaky)
    out = tmp_path / 'out'
    argv = [str(CONFIG), str(checkpoint), str(inputs / 'S0000_PA.dcm'), str(inputs / 'sub' / 'S0000_LAT'),
            '--out-dir', str(out), '--score-thr', '0', '--gif-size', '64',
            '--cfg-options', *FAST]  # fmt: skip
    assert infer_tool.main(argv) == 3  # findings written, some output missing
    doc = json.loads((out / 'findings.json').read_text())
    check_findings(doc)
    pa, lat = doc['files']
    assert pa['gif'] == 'S0000_PA.gif' and pa['export_errors'] == []
    assert lat['occlusion'] == 'yes' and lat['gif'] is None
    assert lat['export_errors'] == [{'what': 'gif', 'error': 'OSError: [Errno 28] No space left on device'}]
    captured = capsys.readouterr()
    assert 'S0000_LAT: gif not written: OSError' in captured.err
    assert '2 file(s) read, 2 with occlusion, 0 error(s), 1 missing output(s) (gif)' in captured.out


def test_infer_ctrl_c_keeps_finished_runs_and_resume_checks_settings(
    infer_tool: ModuleType, inputs: Path, checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from occlunet.apis import SequenceInferencer

    calls = []
    predict_stream = SequenceInferencer.predict_stream

    def interrupted(self: SequenceInferencer, item: object) -> dict:
        calls.append(item)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return predict_stream(self, item)

    monkeypatch.setattr(SequenceInferencer, 'predict_stream', interrupted)
    out = tmp_path / 'out'
    run = [str(CONFIG), str(checkpoint), str(inputs / 'S0000_PA.dcm'), str(inputs / 'sub' / 'S0000_LAT'),
           '--out-dir', str(out), '--no-gif', '--cfg-options', *FAST]  # fmt: skip
    assert infer_tool.main([*run, '--score-thr', '0']) == 130
    before = (out / 'findings.json').read_text()
    doc = json.loads(before)
    check_findings(doc)
    assert not doc['complete'] and [Path(f['path']).name for f in doc['files']] == ['S0000_PA.dcm']

    assert infer_tool.main([*run, '--score-thr', '0.5', '--resume']) == 2
    assert (out / 'findings.json').read_text() == before  # a refused resume changes nothing
    monkeypatch.setattr(SequenceInferencer, 'predict_stream', predict_stream)
    assert infer_tool.main([*run, '--score-thr', '0', '--resume']) == 0
    doc = json.loads((out / 'findings.json').read_text())
    check_findings(doc)
    assert doc['complete'] and [Path(f['path']).name for f in doc['files']] == ['S0000_PA.dcm', 'S0000_LAT']


@pytest.mark.slow
def test_infer_killed_then_resumed_gives_the_same_findings(checkpoint: Path, tmp_path: Path):
    folder = tmp_path / 'runs'
    for i in range(10):
        write_run(folder / f'run_{i:02d}.dcm', 4, height=64, width=64, seed=i)
    args = [str(CONFIG), str(checkpoint), str(folder), '--score-thr', '0', '--gif-size', '64',
            '--cfg-options', *FAST]  # fmt: skip
    killed = tmp_path / 'killed'
    proc = subprocess.Popen(
        [sys.executable, str(REPO / 'tools' / 'infer.py'), *args, '--out-dir', str(killed)],
        cwd=REPO, env=tool_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    findings = killed / 'findings.json'
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if findings.exists() and len(json.loads(findings.read_text())['files']) >= 3:
                break
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    partial = json.loads(findings.read_text())  # valid JSON after the kill
    check_findings(partial)
    assert not partial['complete'] and 3 <= len(partial['files']) < 10, len(partial['files'])

    proc = run_tool('tools/infer.py', *args, '--out-dir', killed, '--resume', timeout=600)  # same threads
    # skipped when resumed: entries with every GIF written, and errors (killed while drawing: done again)
    done = sum(not f['export_errors'] for f in partial['files']) + len(partial['errors'])
    assert f'{done} resumed' in proc.stdout
    uninterrupted = tmp_path / 'whole'
    run_tool('tools/infer.py', *args, '--out-dir', uninterrupted, timeout=600)
    resumed, whole = (json.loads((d / 'findings.json').read_text()) for d in (killed, uninterrupted))
    check_findings(resumed)
    assert resumed == whole and len(whole['files']) == 10 and whole['complete']
    assert sorted(p.name for p in killed.iterdir()) == sorted(p.name for p in uninterrupted.iterdir())


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
