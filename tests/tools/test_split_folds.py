"""Chronological study-wise folds (occlunet.datasets.folds) and tools/split_folds.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from occlunet.datasets import load_dsa_annotations
from occlunet.datasets.folds import (
    FoldSplitError,
    chronological_folds,
    fold_sizes,
    group_studies,
    num_test_studies,
    split_documents,
    split_summary,
    subset_document,
)
from tests.conftest import REPO, load_tool, run_tool

TOOL = REPO / 'tools' / 'split_folds.py'
CATEGORIES = [{'id': 1, 'name': 'M1'}, {'id': 2, 'name': 'M2'}]


def make_doc(studies: list[tuple], extra_videos: list[dict] = ()) -> dict:
    """``studies``: ``(study_id, [(view, acquired, positive), ...])``; video ids count from 1 in order,
    one annotation (category M2) per positive video."""
    videos, anns = [], []
    for study_id, runs in studies:
        for view, acquired, positive in runs:
            vid = len(videos) + 1
            videos.append({
                'id': vid, 'file_name': f'dicom/{study_id}_{view}.dcm', 'study_id': study_id,
                'patient_id': f'P{study_id}', 'view': view, 'width': 64, 'height': 64, 'num_frames': 5,
                'frame_rate': 3.0, 'acquired': acquired,
            })  # fmt: skip
            if positive:
                box = [10.0, 10.0, 8.0, 8.0]
                anns.append({'id': 100 + vid, 'video_id': vid, 'category_id': 2, 'bbox': box,
                             'frame_start': 1, 'frame_end': 3})  # fmt: skip
    videos += [dict(v) for v in extra_videos]
    return {'info': {'description': 'test', 'seed': 0}, 'categories': CATEGORIES, 'videos': videos,
            'annotations': anns, 'licenses': [{'id': 1, 'name': 'CC0'}]}  # fmt: skip


def day(d: int, hour: int = 10) -> str:
    return f'2020-01-{d:02d}T{hour:02d}:00:00'


def paired_studies(n: int, *, positive_every: int = 2) -> list[tuple]:
    """``n`` studies S00..S{n-1}, acquired on days in *reverse* id order, PA and LAT each."""
    return [
        (
            f'S{i:02d}',
            [('PA', day(n - i), i % positive_every == 0), ('LAT', day(n - i, 11), i % positive_every == 0)],
        )
        for i in range(n)
    ]


# ----------------------------------------------------------------------------------------------------
def test_sizes_and_rounding():
    assert fold_sizes(11, 5) == [3, 2, 2, 2, 2]
    assert fold_sizes(10, 5) == [2] * 5
    assert fold_sizes(9, 4) == [3, 2, 2, 2]
    assert num_test_studies(10, 0.25) == 3  # 2.5 rounded half up (Python's round would give 2)
    assert num_test_studies(14, 0.2) == 3  # 2.8
    assert num_test_studies(3, 0.1) == 1  # 0.3, but at least one


def test_studies_ordered_by_earliest_video_ties_by_id():
    doc = make_doc([
        ('B', [('PA', day(5, 12), False), ('LAT', day(5, 9), False)]),  # earliest video 9:00
        ('A', [('PA', day(5, 10), True), ('LAT', day(5, 10), False)]),
        ('D', [('PA', day(3), False)]),
        ('C', [('PA', day(3), False)]),  # same time as D: C first
    ])  # fmt: skip
    studies = group_studies(doc)
    assert [s.key for s in studies] == ['C', 'D', 'B', 'A']
    assert studies[2].acquired.hour == 9
    assert studies[3].labels == [1, 0] and studies[3].label == 1
    assert studies[2].video_ids == [1, 2] and studies[2].views == ['PA', 'LAT']


def test_video_without_study_id_is_its_own_study():
    loner = {'id': 50, 'file_name': 'dicom/x.dcm', 'study_id': None, 'view': 'PA', 'width': 64, 'height': 64,
             'num_frames': 5, 'acquired': day(1)}  # fmt: skip
    doc = make_doc([('S1', [('PA', day(2), False), ('LAT', day(2), False)])], extra_videos=[loner])
    studies = group_studies(doc)
    assert [s.key for s in studies] == ['<video id=50>', 'S1']
    assert studies[0].video_ids == [50]


def test_chronological_folds_keep_studies_whole_and_ordered():
    doc = make_doc(paired_studies(14))
    split = chronological_folds(doc, test_fraction=0.2, num_folds=5)
    chronological = [s.key for s in group_studies(doc)]
    assert chronological == [f'S{i:02d}' for i in reversed(range(14))]  # acquired in reverse id order
    # test = the earliest 3 studies; then 5 contiguous blocks of 3, 2, 2, 2, 2 in time order
    assert [s.key for s in split.test] == chronological[:3]
    assert [len(f) for f in split.folds] == [3, 2, 2, 2, 2]
    assert [s.key for fold in split.folds for s in fold] == chronological[3:]
    # every study exactly once; PA and LAT together
    keys = [s.key for part in split.parts().values() for s in part]
    assert sorted(keys) == sorted(chronological)
    for part in split.parts().values():
        for study in part:
            assert study.views == ['PA', 'LAT']
    # folds contiguous in time: each fold starts after the previous one ends, the test set first
    parts = list(split.parts().values())
    for earlier, later in zip(parts, parts[1:]):
        assert max(s.acquired for s in earlier) < min(s.acquired for s in later)
    # train of fold k = the other folds, never the test set
    for k in range(5):
        train = {s.key for s in split.train(k)}
        val = {s.key for s in split.val(k)}
        assert not train & val and not train & {s.key for s in split.test}
        assert train | val == set(chronological[3:])


def test_split_documents_filter_consistently():
    doc = make_doc(paired_studies(7))
    doc['images'] = [{'id': 900 + v['id'], 'video_id': v['id'], 'frame_id': 0} for v in doc['videos']]
    split = chronological_folds(doc, test_fraction=0.2, num_folds=5)  # 1 test study + 6 in 5 folds
    docs = split_documents(doc, split)
    assert sorted(docs) == sorted(['test'] + [f'fold{k}_{p}' for k in range(5) for p in ('train', 'val')])
    for name, sub in docs.items():
        assert list(sub) == list(doc)  # every top-level key, in order
        assert sub['categories'] == CATEGORIES and sub['licenses'] == doc['licenses']
        assert sub['info'] == {**doc['info'], 'split': name, 'split_method': sub['info']['split_method']}
        ids = {v['id'] for v in sub['videos']}
        assert {a['video_id'] for a in sub['annotations']} <= ids
        assert {im['video_id'] for im in sub['images']} == ids
        assert len(sub['annotations']) == sum(1 for a in doc['annotations'] if a['video_id'] in ids)
    assert doc['info'] == {'description': 'test', 'seed': 0}  # the input is not modified
    assert [v['study_id'] for v in docs['test']['videos']] == ['S06', 'S06']  # the earliest study
    val_ids = [{v['id'] for v in docs[f'fold{k}_val']['videos']} for k in range(5)]
    for k in range(5):
        train_ids = {v['id'] for v in docs[f'fold{k}_train']['videos']}
        assert train_ids == set().union(*val_ids) - val_ids[k]


def test_subset_keeps_annotations_referring_to_images():
    doc = {
        'videos': [{'id': 1}, {'id': 2}],
        'images': [{'id': 10, 'video_id': 1}, {'id': 20, 'video_id': 2}],
        'annotations': [{'id': 1, 'image_id': 10}, {'id': 2, 'image_id': 20}],
        'categories': [],
    }
    sub = subset_document(doc, [2])
    assert sub['annotations'] == [{'id': 2, 'image_id': 20}] and sub['images'] == [{'id': 20, 'video_id': 2}]


def test_summary_counts_by_hand():
    doc = make_doc(paired_studies(6, positive_every=3))  # S00 and S03 positive (both views)
    split = chronological_folds(doc, test_fraction=0.2, num_folds=5)  # round(1.2) = 1 test study: S05
    summary = split_summary(split, source='all.json', test_fraction=0.2)
    assert summary['test']['study_ids'] == ['S05']
    assert [f['study_ids'] for f in summary['folds']] == [['S04'], ['S03'], ['S02'], ['S01'], ['S00']]
    assert [f['num_positive'] for f in summary['folds']] == [0, 2, 0, 0, 2]
    assert [f['num_negative'] for f in summary['folds']] == [2, 0, 2, 2, 0]
    assert summary['folds'][1]['num_positive_studies'] == 1
    assert summary['folds'][4]['first_acquired'] == '2020-01-06T10:00:00'
    assert summary['folds'][4]['last_acquired'] == '2020-01-06T10:00:00'  # the study's time: its earliest
    assert summary['test']['file'] == 'test.json' and summary['folds'][2]['val_file'] == 'fold2_val.json'


# ----------------------------------------------------------------------------------------------------
def test_missing_acquired_names_file_and_video():
    doc = make_doc(paired_studies(8))
    doc['videos'][3]['acquired'] = None
    with pytest.raises(
        FoldSplitError, match=r"all\.json: video id=4 \(dicom/S01_LAT\.dcm\): field 'acquired'"
    ):
        chronological_folds(doc, source='annotations/all.json')
    del doc['videos'][3]['acquired']
    with pytest.raises(FoldSplitError, match=r'video id=4 .*--allow-undated'):
        group_studies(doc, source='all.json')


def test_allow_undated_orders_undated_studies_last():
    doc = make_doc(paired_studies(8))
    for v in doc['videos']:
        if v['study_id'] in ('S07', 'S02'):
            v['acquired'] = None  # S07 would otherwise be the earliest
    doc['videos'][0]['acquired'] = None  # S00 keeps its dated LAT run
    keys = [s.key for s in group_studies(doc, allow_undated=True)]
    assert keys == ['S06', 'S05', 'S04', 'S03', 'S01', 'S00', 'S02', 'S07']


@pytest.mark.parametrize(
    ('kwargs', 'message'),
    [
        (dict(test_fraction=0.0), 'test_fraction must be in'),
        (dict(test_fraction=1.0), 'test_fraction must be in'),
        (dict(num_folds=1), 'folds must be an integer >= 2'),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(FoldSplitError, match=message):
        chronological_folds(make_doc(paired_studies(10)), **kwargs)


def test_too_few_studies_names_the_file():
    with pytest.raises(FoldSplitError, match=r'all\.json: 5 studies are too few .* need at least 6'):
        chronological_folds(make_doc(paired_studies(5)), num_folds=5, source='all.json')
    chronological_folds(make_doc(paired_studies(6)), num_folds=5)  # 1 test + 5 folds of 1


def test_bad_documents():
    with pytest.raises(FoldSplitError, match='x.json: not an annotation file'):
        group_studies({'categories': []}, source='x.json')
    doc = make_doc(paired_studies(2))
    doc['videos'][1]['id'] = 1
    with pytest.raises(FoldSplitError, match='video id=1: duplicate id'):
        group_studies(doc)
    doc = make_doc(paired_studies(2))
    doc['videos'][2]['acquired'] = 'yesterday'
    with pytest.raises(FoldSplitError, match=r"video id=3 .*'yesterday' is not an ISO 8601"):
        group_studies(doc)
    doc = make_doc([('A', [('PA', day(1), False)]), ('B', [('PA', day(2) + '+01:00', False)])])
    with pytest.raises(FoldSplitError, match='without time zone'):
        group_studies(doc)


# ----------------------------------------------------------------------------------------------------
def write_dataset(root: Path, doc: dict) -> Path:
    """The annotation file under ``root/annotations`` and an empty file per video (what the loader's
    file check needs without header checks)."""
    (root / 'annotations').mkdir(parents=True)
    (root / 'dicom').mkdir()
    for v in doc['videos']:
        (root / v['file_name']).write_bytes(b'')
    ann = root / 'annotations' / 'all.json'
    ann.write_text(json.dumps(doc))
    return ann


def test_cli_writes_loadable_files(tmp_path, capsys):
    doc = make_doc(paired_studies(12))
    ann = write_dataset(tmp_path, doc)
    assert load_tool(TOOL).main([str(ann), '--folds', '3']) == 0
    out = capsys.readouterr().out
    assert 'test (earliest 2) + 3 folds' in out
    assert out.splitlines()[1].split() == ['part', 'studies', 'sequences', 'positive', 'negative', 'first',
                                           'acquired', 'last', 'acquired']  # fmt: skip
    folds_dir = tmp_path / 'annotations' / 'folds'
    names = sorted(p.name for p in folds_dir.iterdir())
    assert names == sorted(
        ['folds.json', 'test.json'] + [f'fold{k}_{p}.json' for k in range(3) for p in ('train', 'val')]
    )
    seen = []
    for name in names:
        if name == 'folds.json':
            continue
        records = load_dsa_annotations(str(folds_dir / name), str(tmp_path), check_headers=False)
        assert records, name
        if name.endswith('_val.json') or name == 'test.json':
            seen += [r['video_id'] for r in records]
        for r in records:  # the annotations followed their videos
            assert len(r['annotations']) == int(int(r['study_id'][1:]) % 2 == 0)
    assert sorted(seen) == [v['id'] for v in doc['videos']]  # test + val sets cover every video once
    summary = json.loads((folds_dir / 'folds.json').read_text())
    assert summary['num_folds'] == 3 and summary['source'] == str(ann)
    assert summary['test']['study_ids'] == ['S11', 'S10']
    assert [f['num_studies'] for f in summary['folds']] == [4, 3, 3]


def test_cli_error_names_file_and_video_and_writes_nothing(tmp_path, capsys):
    doc = make_doc(paired_studies(8))
    doc['videos'][5]['acquired'] = None
    ann = write_dataset(tmp_path, doc)
    out_dir = tmp_path / 'out'
    assert load_tool(TOOL).main([str(ann), '--out-dir', str(out_dir)]) == 1
    err = capsys.readouterr().err
    assert f'{ann}: video id=6 (dicom/S02_LAT.dcm)' in err and "'acquired' is missing" in err
    assert not out_dir.exists()
    assert load_tool(TOOL).main([str(ann), '--out-dir', str(out_dir), '--allow-undated']) == 0


@pytest.mark.slow
def test_cli_subprocess(tmp_path):
    ann = write_dataset(tmp_path, make_doc(paired_studies(10)))
    out_dir = tmp_path / 'splits'
    proc = run_tool(TOOL, ann, '--test-fraction', '0.2', '--folds', '4', '--out-dir', out_dir, timeout=300)
    assert 'fold3' in proc.stdout and f'wrote {out_dir}/test.json' in proc.stdout
    summary = json.loads((out_dir / 'folds.json').read_text())
    assert summary['test']['num_studies'] == 2 and [f['num_studies'] for f in summary['folds']] == [
        2,
        2,
        2,
        2,
    ]
    bad = tmp_path / 'bad.json'
    bad.write_text('{"videos": [')
    proc = run_tool(TOOL, bad, check=False, timeout=300)
    assert proc.returncode == 1 and f'{bad}: not a JSON file' in proc.stderr
