"""Annotation loading and validation: every error names the JSON file, the record and the field."""

from __future__ import annotations

import pytest

from occlunet.datasets import (
    DSAAnnotationError,
    find_annotation_problems,
    inspect_dsa_annotations,
    load_dsa_annotations,
    load_dsa_categories,
)


def test_load_valid(dsa_data):
    videos = load_dsa_annotations(str(dsa_data.ann_file), str(dsa_data.root))
    assert [v['video_id'] for v in videos] == [1, 2, 3, 4]
    first = videos[0]
    assert first['img_path'] == str((dsa_data.root / 'dicom' / 'S0001_PA.dcm').resolve())
    assert first['num_frames'] == 6 and first['view'] == 'PA' and first['study_id'] == 'S0001'
    (ann,) = first['annotations']
    assert ann['bbox'] == [20.0, 24.0, 32.0, 34.0]  # xyxy
    assert (ann['frame_start'], ann['frame_end'], ann['category_index']) == (0, 2, 0)
    assert videos[2]['annotations'] == []
    assert [c['name'] for c in load_dsa_categories(str(dsa_data.ann_file))][:2] == ['M1', 'M2']
    assert find_annotation_problems(str(dsa_data.ann_file), str(dsa_data.root)) == []


def _video(content, vid):
    return next(v for v in content['videos'] if v['id'] == vid)


def _annotation(content, aid):
    return next(a for a in content['annotations'] if a['id'] == aid)


# (name, mutation, record text, field text)
CASES = [
    (
        'unknown_category',
        lambda c: _annotation(c, 10).update(category_id=99),
        'annotation id=10',
        "'category_id'",
    ),
    ('bbox_outside', lambda c: _annotation(c, 10).update(bbox=[60, 10, 10, 5]), 'annotation id=10', "'bbox'"),
    (
        'bbox_outside_y',
        lambda c: _annotation(c, 10).update(bbox=[10, 60, 5, 10]),
        'annotation id=10',
        "'bbox'",
    ),
    ('bbox_negative', lambda c: _annotation(c, 10).update(bbox=[-1, 10, 5, 5]), 'annotation id=10', "'bbox'"),
    ('bbox_zero_w', lambda c: _annotation(c, 10).update(bbox=[10, 10, 0, 5]), 'annotation id=10', "'bbox'"),
    ('bbox_neg_h', lambda c: _annotation(c, 11).update(bbox=[10, 10, 5, -2]), 'annotation id=11', "'bbox'"),
    ('bbox_length', lambda c: _annotation(c, 10).update(bbox=[10, 10, 5]), 'annotation id=10', "'bbox'"),
    ('bbox_text', lambda c: _annotation(c, 10).update(bbox=[10, '10', 5, 5]), 'annotation id=10', "'bbox'"),
    ('frame_end_high', lambda c: _annotation(c, 10).update(frame_end=6), 'annotation id=10', "'frame_end'"),
    (
        'frame_start_neg',
        lambda c: _annotation(c, 10).update(frame_start=-1),
        'annotation id=10',
        "'frame_start'",
    ),
    (
        'frame_reversed',
        lambda c: _annotation(c, 11).update(frame_start=3, frame_end=2),
        'annotation id=11',
        "'frame_end'",
    ),
    (
        'frame_float',
        lambda c: _annotation(c, 11).update(frame_start=1.5),
        'annotation id=11',
        "'frame_start'",
    ),
    ('dup_video', lambda c: _video(c, 2).update(id=1), 'video id=1', "'id'"),
    ('dup_annotation', lambda c: _annotation(c, 11).update(id=10), 'annotation id=10', "'id'"),
    ('dup_category', lambda c: c['categories'][1].update(id=1), 'category id=1', "'id'"),
    ('no_file', lambda c: _video(c, 3).update(file_name='dicom/missing.dcm'), 'video id=3', "'file_name'"),
    ('absolute', lambda c: _video(c, 3).update(file_name='/etc/passwd'), 'video id=3', "'file_name'"),
    ('escapes', lambda c: _video(c, 3).update(file_name='../outside.dcm'), 'video id=3', "'file_name'"),
    ('frames_header', lambda c: _video(c, 3).update(num_frames=7), 'video id=3', "'num_frames'"),
    ('width_header', lambda c: _video(c, 3).update(width=65), 'video id=3', "'width'"),
    ('height_header', lambda c: _video(c, 3).update(height=32), 'video id=3', "'height'"),
    ('missing_key', lambda c: _video(c, 3).pop('view'), 'video id=3', "'view'"),
    ('missing_ann_key', lambda c: _annotation(c, 10).pop('bbox'), 'annotation id=10', "'bbox'"),
    ('unknown_video', lambda c: _annotation(c, 10).update(video_id=42), 'annotation id=10', "'video_id'"),
    ('missing_top', lambda c: c.pop('categories'), 'top level', "'categories'"),
    ('bad_rate', lambda c: _video(c, 3).update(frame_rate=-3), 'video id=3', "'frame_rate'"),
    ('bad_date', lambda c: _video(c, 3).update(acquired='yesterday'), 'video id=3', "'acquired'"),
]


@pytest.mark.parametrize('name,mutate,record,field', CASES, ids=[c[0] for c in CASES])
def test_validation_error(dsa_data, tmp_path, name, mutate, record, field):
    content = dsa_data.ann()
    mutate(content)
    ann_file = dsa_data.write_ann(content, tmp_path / f'bad_{name}.json')
    with pytest.raises(DSAAnnotationError) as info:
        load_dsa_annotations(str(ann_file), str(dsa_data.root))
    message = str(info.value)
    assert f'bad_{name}.json' in message
    assert record in message
    assert field in message
    problems = find_annotation_problems(str(ann_file), str(dsa_data.root))
    assert any(record in p and field in p for p in problems), problems


def test_header_checks_optional(dsa_data, tmp_path):
    content = dsa_data.ann()
    _video(content, 3)['num_frames'] = 7  # the DICOM has 8
    ann_file = dsa_data.write_ann(content, tmp_path / 'frames.json')
    videos = load_dsa_annotations(str(ann_file), str(dsa_data.root), check_headers=False)
    assert videos[2]['video_id'] == 3 and videos[2]['num_frames'] == 7


def test_invalid_json(dsa_data, tmp_path):
    path = tmp_path / 'broken.json'
    path.write_text('{"videos": [')
    with pytest.raises(DSAAnnotationError, match='broken.json.*not valid JSON'):
        load_dsa_annotations(str(path), str(dsa_data.root))


def test_unreadable_dicom_reported(dsa_data, tmp_path):
    root = tmp_path / 'root'
    (root / 'dicom').mkdir(parents=True)
    (root / 'dicom' / 'garbage.dcm').write_bytes(b'not a dicom file at all' * 10)
    content = {
        'categories': dsa_data.ann()['categories'],
        'videos': [
            {
                'id': 1,
                'file_name': 'dicom/garbage.dcm',
                'view': 'PA',
                'width': 64,
                'height': 64,
                'num_frames': 5,
            }
        ],
        'annotations': [],
    }
    ann_file = dsa_data.write_ann(content, tmp_path / 'garbage.json')
    (problem,) = find_annotation_problems(str(ann_file), str(root))
    assert 'garbage.json' in problem and 'video id=1' in problem and 'garbage.dcm' in problem
    assert 'DSAFormatError' in problem


def test_collects_all_problems(dsa_data, tmp_path):
    content = dsa_data.ann()
    _annotation(content, 10)['category_id'] = 99
    _annotation(content, 11)['bbox'] = [60, 10, 10, 5]
    _video(content, 3)['file_name'] = '../x.dcm'
    ann_file = dsa_data.write_ann(content, tmp_path / 'many.json')
    categories, videos, problems = inspect_dsa_annotations(str(ann_file), str(dsa_data.root))
    assert len(problems) == 3
    assert len(categories) == 5
    assert [v['video_id'] for v in videos] == [1, 2, 4]  # the valid records remain usable
    assert all(v['annotations'] == [] for v in videos[:2])
