"""A finding is recorded before its side outputs; a failing side output is noted on the entry, never fatal."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from occlunet.apis import FindingsFile, findings_header, record_run, run_side_outputs
from occlunet.apis.side_outputs import PENDING

RESULT = dict(view='PA', num_frames=2, frame_rate=None, occlusion=False, tracks=[], best_track=None)


def fail(message: str) -> Callable[[], None]:
    def step() -> None:
        raise RuntimeError(message)

    return step


def test_run_side_outputs_goes_on_after_a_failure():
    written, errors = run_side_outputs({'gif': fail('no pixels'), 'report': lambda: 'r.html'})
    assert written == {'report': 'r.html'}
    assert errors == [{'what': 'gif', 'error': 'RuntimeError: no pixels'}]

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_side_outputs({'gif': interrupted})


@pytest.fixture()
def findings(tmp_path: Path) -> FindingsFile:
    head = findings_header('c.py', 'w.pth', 'c' * 64, 'w' * 64, 0.5, ['occlusion'])
    return FindingsFile(tmp_path / 'findings.json', head, max_write_share=0.0)


def test_record_run_keeps_the_finding_when_its_gif_fails(findings: FindingsFile):
    on_disk = []

    def side_outputs(path: str, sequence: object, result: dict) -> dict:
        def gif() -> str:
            on_disk.append(json.loads(findings.path.read_text())['files'][-1])  # the finding, before its GIF
            if path == 'bad.dcm':
                raise RuntimeError('cannot draw')
            return f'{path}.gif'

        return {'gif': gif}

    logged = []
    for path in ('bad.dcm', 'good.dcm'):
        record_run(findings, path, lambda p: ('frames', RESULT), side_outputs, logged.append)
    assert [e['path'] for e in on_disk] == ['bad.dcm', 'good.dcm']
    assert all(
        e['gif'] is None and e['export_errors'] == [{'what': 'gif', 'error': PENDING}] for e in on_disk
    )
    bad, good = json.loads(findings.path.read_text())['files']
    assert bad['gif'] is None
    assert bad['export_errors'] == [{'what': 'gif', 'error': 'RuntimeError: cannot draw'}]
    assert good['gif'] == 'good.dcm.gif' and good['export_errors'] == []
    assert logged == ['infer: bad.dcm: gif not written: RuntimeError: cannot draw']
    assert findings.is_done('good.dcm') and 'bad.dcm' in findings and not findings.is_done('bad.dcm')


def test_record_run_skips_a_file_that_cannot_be_predicted(findings: FindingsFile):
    def predict(path: str) -> tuple:
        raise OSError(f'{path}: unreadable')

    logged = []
    assert record_run(findings, 'x.dcm', predict, log=logged.append) is None
    doc = json.loads(findings.path.read_text())
    assert doc['files'] == [] and doc['errors'] == [{'path': 'x.dcm', 'error': 'OSError: x.dcm: unreadable'}]
    assert logged == ['infer: skipped x.dcm: OSError: x.dcm: unreadable']
