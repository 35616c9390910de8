"""tools/analysis/per_category.py: outcomes of a single-class result file split by annotation category."""

from __future__ import annotations

import json

from tests.conftest import REPO, run_tool

TOOL = REPO / 'tools' / 'analysis' / 'per_category.py'


def ann() -> dict:
    return dict(
        categories=[dict(id=1, name='M1'), dict(id=3, name='ICA_intracranial')],
        videos=[dict(id=i, file_name=f'dicom/S{i}.dcm') for i in range(5)],
        annotations=[
            dict(id=1, video_id=0, category_id=1, bbox=[0, 0, 5, 5]),
            dict(id=2, video_id=1, category_id=1, bbox=[0, 0, 5, 5]),
            dict(id=3, video_id=2, category_id=3, bbox=[0, 0, 5, 5]),
        ],
    )


def result(outcomes: list[tuple[str, float | None]]) -> dict:
    seqs = []
    for i, (outcome, conf) in enumerate(outcomes):
        best = None if conf is None else dict(bbox=[0, 0, 5, 5], label=0, score=conf, confidence=conf)
        seqs.append(
            dict(video_id=i, file_name=f'dicom/S{i}.dcm', gt_label=0, gt=[], best_track=best,
                 tracks=[best] if best else [], outcome=outcome)
        )  # fmt: skip
    return dict(settings={}, num_sequences=len(seqs), metrics={}, sweep=[], sequences=seqs)


def test_breakdown_counts_each_category(tmp_path):
    (tmp_path / 'ann.json').write_text(json.dumps(ann()))
    # runs 0, 1: M1 (one found at 0.4, one missed at 0.1); 2: ICA found at 0.6; 3, 4: no occlusion
    doc = result([('TP', 0.4), ('FN+FP', 0.1), ('TP', 0.6), ('FP', 0.2), ('TN', None)])
    (tmp_path / 'a.json').write_text(json.dumps(doc))
    out = tmp_path / 'per.json'
    proc = run_tool(TOOL, tmp_path / 'a.json', '--ann', tmp_path / 'ann.json', '--names', 'A', '--json', out)
    per = json.loads(out.read_text())['A']
    assert per['M1'] == dict(runs=2, correct=1, found=1, median_confidence=0.25)
    assert per['ICA_intracranial'] == dict(runs=1, correct=1, found=1, median_confidence=0.6)
    assert per['none'] == dict(runs=2, correct=1, found=0, median_confidence=0.1)
    assert '| M1 | 2 | 1/2 (0.250) |' in proc.stdout


def test_a_run_missing_from_the_annotations_is_named(tmp_path):
    (tmp_path / 'ann.json').write_text(json.dumps(ann()))
    doc = result([('TP', 0.4)] * 6)  # video 5 is not annotated
    (tmp_path / 'a.json').write_text(json.dumps(doc))
    proc = run_tool(TOOL, tmp_path / 'a.json', '--ann', tmp_path / 'ann.json', check=False)
    assert proc.returncode == 1
    assert 'video_id=5' in proc.stderr and 'a.json' in proc.stderr
