"""LoadDSASequence on its own and inside a dataset: pixels, metadata, errors that name the file."""

from __future__ import annotations

import numpy as np
import pytest
from mmdet.registry import DATASETS

from occlunet.datasets import DSAAnnotationError, LoadDSASequence
from occlunet.dicom import DSAFormatError


def test_load_on_its_own(dsa_data):
    path = str(dsa_data.root / 'dicom' / 'S0001_PA.dcm')
    instances = [dict(bbox=[20.0, 24.0, 32.0, 34.0], bbox_label=0, frame_start=0, frame_end=2, category_id=1)]
    results = LoadDSASequence()({'img_path': path, 'instances': instances, 'num_frames': 6})
    frames = results['frames']
    assert frames.shape == (6, 64, 64) and frames.dtype == np.float32 and not frames.flags.writeable
    assert 0 <= frames.min() and frames.max() <= 1
    assert frames[0, 30, 22] < frames[0, 5, 5]  # the dark blob inside the box
    assert results['ori_shape'] == (64, 64) and results['img_shape'] == (64, 64)
    assert results['frame_ids'] == list(range(6)) and results['frame_id'] is None
    assert len(results['frame_times']) == 6
    assert results['gt_bboxes'].tolist() == [[20.0, 24.0, 32.0, 34.0]]
    assert results['gt_frame_end'].tolist() == [2]


def test_bad_file_raises_format_error(tmp_path):
    bad = tmp_path / 'broken.dcm'
    bad.write_bytes(b'\0' * 300)
    with pytest.raises(DSAFormatError, match='broken.dcm'):
        LoadDSASequence()({'img_path': str(bad)})


def test_size_disagreement_found_at_load(dsa_data, tmp_path):
    content = dsa_data.ann()
    next(v for v in content['videos'] if v['id'] == 3)['num_frames'] = 7  # the DICOM has 8
    ann_file = dsa_data.write_ann(content, tmp_path / 'unchecked.json')
    ds = DATASETS.build(
        dict(
            type='DSAVideoDataset',
            ann_file=str(ann_file),
            data_root=str(dsa_data.root),
            check_headers=False,
            test_mode=True,
            pipeline=[dict(type='LoadDSASequence')],
        )
    )
    with pytest.raises(DSAAnnotationError, match="S0002_PA.dcm: video id=3: field 'num_frames'"):
        ds[2]
