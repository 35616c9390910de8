"""findings.json written atomically as runs finish, in input order, never broken by a NaN; resumed only
from a file made with the same config, checkpoint and threshold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mmengine.config import Config

from occlunet.apis import FindingsFile, ResumeError, config_sha256, file_sha256, finding, findings_header

from .conftest import OCCLUNET_CONFIG


def header(**changes: object) -> dict:
    fields = dict(config='c.py', checkpoint='w.pth', config_digest='c' * 64, checkpoint_digest='w' * 64,
                  score_thr=0.5, classes=['occlusion'])  # fmt: skip
    return findings_header(**{**fields, **changes})


def entry(path: Path | str, occlusion: bool = False) -> dict:
    best = dict(bbox=[1.0, 2.0, 5.0, 9.0], label_name='occlusion', score=1.5, confidence=0.75, frames=[0, 1])
    result = dict(view='PA', num_frames=3, frame_rate=3.0, occlusion=occlusion, tracks=[best],
                  best_track=best if occlusion else None)  # fmt: skip
    return finding(path, result)


def read(path: Path) -> dict:
    return json.loads(path.read_text())


def test_finding_entry():
    yes = entry('a.dcm', occlusion=True)
    assert yes['bbox'] == [1.0, 2.0, 4.0, 7.0] and yes['frame_ids'] == [0, 1] and yes['confidence'] == 0.75
    assert yes['gif'] is None and yes['export_errors'] == [] and yes['num_tracks'] == 1
    no = entry('b.dcm')
    assert no['occlusion'] == 'no' and no['bbox'] is None and no['score'] == 0.0


def test_written_after_every_run_in_input_order(tmp_path: Path):
    out = tmp_path / 'findings.json'
    order = [tmp_path / n for n in ('a.dcm', 'b.dcm', 'c.dcm')]
    findings = FindingsFile(out, header(), order, max_write_share=0.0)
    assert not out.exists()  # nothing before the first result
    findings.add(entry(order[2]))
    findings.add_error(order[1], 'DSAFormatError: b.dcm: not DICOM')
    findings.add(entry(order[0], occlusion=True))
    doc = read(out)
    assert [Path(f['path']).name for f in doc['files']] == ['a.dcm', 'c.dcm'] and doc['complete'] is False
    assert doc['errors'] == [{'path': str(order[1]), 'error': 'DSAFormatError: b.dcm: not DICOM'}]
    assert order[0] in findings and order[1] not in findings and len(findings) == 2
    assert findings.is_done(order[0]) and findings.is_done(order[1])  # an error is not retried
    findings.add({**entry(order[2]), 'export_errors': [{'what': 'gif', 'error': 'OSError: disk full'}]})
    assert order[2] in findings and not findings.is_done(order[2])  # a resumed run does it again
    findings.finish()
    assert read(out)['complete'] is True
    assert [p.name for p in tmp_path.iterdir()] == ['findings.json']  # no temporary file left


def test_a_nan_entry_is_refused_and_the_file_stays_valid(tmp_path: Path):
    findings = FindingsFile(tmp_path / 'findings.json', header(), max_write_share=0.0)
    findings.add(entry('a.dcm'))
    bad = {**entry('b.dcm'), 'score': float('nan')}
    with pytest.raises(ValueError, match='JSON compliant'):
        findings.add(bad)
    assert [f['path'] for f in read(tmp_path / 'findings.json')['files']] == ['a.dcm']


def test_writes_are_throttled_to_a_share_of_the_time(tmp_path: Path):
    findings = FindingsFile(tmp_path / 'findings.json', header(), max_write_share=1e-9)
    assert findings.save()  # the first write always happens
    findings.add(entry('a.dcm'))  # too soon after it: not written
    assert read(tmp_path / 'findings.json')['files'] == []
    assert findings.save(force=True) and len(read(tmp_path / 'findings.json')['files']) == 1


def test_resume_keeps_finished_runs_and_errors(tmp_path: Path):
    out = tmp_path / 'findings.json'
    assert len(FindingsFile.resume(out, header())) == 0  # nothing to resume: a fresh file
    first = FindingsFile(out, header(), max_write_share=0.0)
    first.add(entry(tmp_path / 'b.dcm'))
    first.add(entry(tmp_path / 'old.dcm'))
    first.add_error(tmp_path / 'c.dcm', 'DSAFormatError: c.dcm: not DICOM')
    first.add_error('gone.dcm', 'no such file or directory')
    order = [tmp_path / n for n in ('a.dcm', 'b.dcm', 'c.dcm')]
    again = FindingsFile.resume(out, header(config='elsewhere/c.py'), order, max_write_share=0.0)
    assert again.is_done(tmp_path / 'b.dcm') and again.is_done(tmp_path / 'c.dcm')  # errors: not retried
    assert not again.is_done(order[0])
    again.add_error('gone.dcm', 'no such file or directory')  # found missing again: listed once
    again.add(entry(order[0]))
    doc = read(out)
    assert [Path(f['path']).name for f in doc['files']] == ['a.dcm', 'b.dcm', 'old.dcm']
    assert [Path(e['path']).name for e in doc['errors']] == ['c.dcm', 'gone.dcm']


@pytest.mark.parametrize(
    ('change', 'field'),
    [
        (dict(checkpoint_digest='x' * 64), 'checkpoint_sha256'),
        (dict(config_digest='x' * 64), 'config_sha256'),
        (dict(score_thr=0.25), 'score_thr'),
        (dict(classes=['M1']), 'classes'),
    ],
)
def test_resume_refuses_other_settings(tmp_path: Path, change: dict, field: str):
    out = tmp_path / 'findings.json'
    FindingsFile(out, header()).finish()
    with pytest.raises(ResumeError, match=f'written with {field} .* this run has .* another --out-dir'):
        FindingsFile.resume(out, header(**change))


def test_resume_refuses_a_broken_file(tmp_path: Path):
    out = tmp_path / 'findings.json'
    out.write_text('{"files": [')
    with pytest.raises(ResumeError, match='cannot resume from it'):
        FindingsFile.resume(out, header())


def test_digests(tmp_path: Path):
    (tmp_path / 'w.pth').write_bytes(b'abc')
    abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'  # SHA-256 of b'abc'
    assert file_sha256(tmp_path / 'w.pth') == abc
    cfg = Config.fromfile(str(OCCLUNET_CONFIG))
    assert config_sha256(cfg) == config_sha256(Config.fromfile(str(OCCLUNET_CONFIG)))
    cfg.merge_from_dict({'model.test_cfg.score_thr': 0.5})
    assert config_sha256(cfg) != config_sha256(Config.fromfile(str(OCCLUNET_CONFIG)))
