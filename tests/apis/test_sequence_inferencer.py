"""SequenceInferencer: whole sequences from DICOM files or arrays, fed to the test pipeline as the dataset
would, and the plain-data result (detections, tracks, best track, finding)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import DefaultScope

from occlunet.apis import (
    DEFAULT_SCORE_THR,
    SequenceInferencer,
    evaluator_score_thr,
    load_results,
    load_sequence,
    sequence_result,
)
from occlunet.dicom import DSAFormatError, load_dsa
from occlunet.evaluation.metrics import SequenceDetectionMetric
from occlunet.evaluation.metrics.sequence_record import sequence_record

from .conftest import FAST_OPTIONS, MINIP_CONFIG, OCCLUNET_CONFIG, REPO, save_init_checkpoint

RESULT_KEYS = {
    'file',
    'view',
    'num_frames',
    'frame_rate',
    'ori_shape',
    'classes',
    'score_thr',
    'projection',
    'detections',
    'tracks',
    'best_track',
    'occlusion',
    'score',
    'confidence',
    'class_name',
}
TRACK_KEYS = {
    'frame_ids',
    'bbox',
    'label',
    'score',
    'scores',
    'track_id',
    'confidence',
    'label_name',
    'frames',
}
# keys of a dataset sample that come from the annotation file, not from the DICOM
ANNOTATION_KEYS = {
    'sample_idx',
    'video_id',
    'file_name',
    'study_id',
    'patient_id',
    'instances',
    'sequence_label',
    'acquired',
    'cache_key',
}


def build_dataset(cfg: Config, root: Path, pipeline: list | None = None):
    ds_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    ds_cfg.update(data_root=str(root), ann_file='annotations/all.json')
    if pipeline is not None:
        ds_cfg.pipeline = pipeline
    with DefaultScope.overwrite_default_scope('mmdet'):
        return DATASETS.build(ds_cfg)


def test_load_results_match_the_dataset_and_load_dsa_sequence(inferencer, dsa_root):
    """The helper gives every key a whole-sequence DSAVideoDataset sample has after LoadDSASequence, with
    the same values for what the DICOM determines (annotations aside)."""
    dataset = build_dataset(inferencer.cfg, dsa_root, pipeline=[dict(type='LoadDSASequence')])
    assert len(dataset) == 2
    for idx in range(len(dataset)):
        theirs = dataset[idx]
        ours = load_results(load_sequence(theirs['img_path']))
        assert set(theirs) - set(ours) == {'sample_idx'}
        for key in set(theirs) - ANNOTATION_KEYS:
            if key.startswith('gt_'):  # the dataset's sequences are annotated, ours never are
                assert ours[key].shape[1:] == theirs[key].shape[1:] and ours[key].dtype == theirs[key].dtype
                assert len(ours[key]) == 0
            elif isinstance(theirs[key], np.ndarray):
                np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)
            elif key == 'frame_rate':
                assert ours[key] == pytest.approx(theirs[key])
            else:
                assert ours[key] == theirs[key], key
        assert not ours['frames'].flags.writeable and ours['frame_id'] is None


def test_preprocess_packs_what_the_test_dataset_packs(inferencer, dsa_root):
    dataset = build_dataset(inferencer.cfg, dsa_root)
    for idx in range(len(dataset)):
        packed = dataset[idx]
        theirs = packed['data_samples'].metainfo
        data = inferencer.preprocess(inferencer.load(theirs['img_path']))
        assert len(data['inputs']) == 1 and len(data['data_samples']) == 1
        torch.testing.assert_close(data['inputs'][0], packed['inputs'], rtol=0, atol=0)
        ours = data['data_samples'][0].metainfo
        for key in ('img_path', 'view', 'frame_id', 'frame_ids', 'num_frames', 'ori_shape', 'img_shape'):
            assert ours[key] == theirs[key], key
        assert ours['scale_factor'] == pytest.approx(theirs['scale_factor'])
        assert ours['frame_rate'] == pytest.approx(theirs['frame_rate'])
        assert len(data['data_samples'][0].gt_instances) == 0


def test_path_and_array_give_the_same_result(inferencer, dicom_paths):
    path = dicom_paths[0]
    from_path = inferencer(str(path))
    frames = load_dsa(path).frames
    from_array = inferencer(frames)
    assert frames.flags.writeable  # the caller's array is not marked read-only
    assert from_path['file'] == str(path) and from_path['view'] in ('PA', 'LAT')
    assert from_array['file'] is None and from_array['view'] == 'UNKNOWN' and from_array['frame_rate'] is None
    same = RESULT_KEYS - {'file', 'view', 'frame_rate'}
    assert {k: from_array[k] for k in same} == {k: from_path[k] for k in same}
    assert from_path['tracks'], 'score_thr 0: the untrained model should link some tracks'


def test_result_fields(inferencer, dicom_paths):
    path = dicom_paths[1]
    seq = load_dsa(path)
    sample = inferencer.forward(inferencer.preprocess(inferencer.load(path)))
    result = inferencer.postprocess(sample)
    assert set(result) == RESULT_KEYS
    json.dumps(result, allow_nan=False)  # plain python data
    n = seq.num_frames
    assert result['num_frames'] == n and result['ori_shape'] == [seq.height, seq.width]
    assert result['view'] == seq.view and result['frame_rate'] == pytest.approx(4.0, rel=0.5)
    assert result['classes'] == ['occlusion'] and result['score_thr'] == 0.0 and not result['projection']

    detections = result['detections']
    assert [d['frame_id'] for d in detections] == list(range(n))
    assert sum(len(d['bboxes']) for d in detections) == len(sample.pred_instances) > 0
    for det in detections:
        assert len(det['bboxes']) == len(det['scores']) == len(det['labels'])
        assert all(len(box) == 4 and box[0] <= box[2] and box[1] <= box[3] for box in det['bboxes'])
        assert all(0.0 <= s <= 1.0 for s in det['scores'])
    # per-frame boxes are the model's DICOM-pixel boxes of that frame
    frame_ids = sample.pred_instances.frame_ids.numpy()
    for t in range(n):
        expected = sample.pred_instances.bboxes[torch.from_numpy(frame_ids == t)].numpy()
        np.testing.assert_allclose(np.reshape(detections[t]['bboxes'], (-1, 4)), expected, rtol=1e-6)

    tracks = result['tracks']
    assert [t['score'] for t in tracks] == sorted((t['score'] for t in tracks), reverse=True)
    raw = sample.pred_tracks[0].to_dict()
    assert {k: tracks[0][k] for k in raw} == raw
    for track in tracks:
        assert set(track) == TRACK_KEYS
        assert track['confidence'] == pytest.approx(np.mean(track['scores']))
        assert track['score'] == pytest.approx(sum(track['scores']) * len(track['scores']))
        assert track['frames'] == track['frame_ids'] and track['label_name'] == 'occlusion'
    best = result['best_track']
    assert best == tracks[0] and result['occlusion'] is True
    assert result['score'] == best['score'] and result['confidence'] == best['confidence']
    assert result['class_name'] == 'occlusion'


def test_finding_follows_the_score_thr_as_the_metric(inferencer, dicom_paths):
    sample = inferencer.forward(inferencer.preprocess(inferencer.load(dicom_paths[0])))
    none = sequence_result(sample, inferencer.classes, 1.0)
    assert none['occlusion'] is False and none['best_track'] is None and none['class_name'] is None
    assert none['score'] == 0.0 and none['confidence'] == 0.0 and none['tracks']
    record = sequence_record(sample)
    for thr in sorted({t['confidence'] for t in none['tracks']})[-3:]:
        result = sequence_result(sample, inferencer.classes, thr)
        metric_best = SequenceDetectionMetric(score_thr=thr).best_track(record)
        assert result['best_track']['bbox'] == pytest.approx(metric_best['bbox'])
        assert result['score'] == pytest.approx(metric_best['score'])
        assert result['best_track']['confidence'] >= thr


def test_score_thr_default_comes_from_the_test_evaluator(occlunet_ckpt):
    cfg = Config.fromfile(str(OCCLUNET_CONFIG))
    assert evaluator_score_thr(cfg) is None  # the metric's own default applies
    cfg.test_evaluator.score_thr = 0.3
    assert evaluator_score_thr(cfg) == 0.3
    cfg.test_evaluator = [dict(type='DumpDetResults'), dict(type='SequenceDetectionMetric', score_thr=0.2)]
    assert evaluator_score_thr(cfg) == 0.2
    inferencer = SequenceInferencer(OCCLUNET_CONFIG, occlunet_ckpt)
    assert inferencer.score_thr == DEFAULT_SCORE_THR == 0.01 and inferencer.classes == ('occlusion',)
    options = {**FAST_OPTIONS, 'test_evaluator.score_thr': 0.25}
    assert SequenceInferencer(OCCLUNET_CONFIG, occlunet_ckpt, cfg_options=options).score_thr == 0.25
    with pytest.raises(ValueError, match='score_thr'):
        SequenceInferencer(OCCLUNET_CONFIG, occlunet_ckpt, score_thr=1.5)


def test_call_takes_lists_tensors_and_rejects_bad_inputs(inferencer, dicom_paths, tmp_path):
    frames = load_dsa(dicom_paths[1]).frames
    results = inferencer([dicom_paths[0], frames])
    assert isinstance(results, list) and len(results) == 2
    assert results[1]['num_frames'] == len(frames) and results[1]['file'] is None
    assert inferencer(torch.from_numpy(frames))['detections'] == results[1]['detections']
    with pytest.raises(ValueError, match=r'\(T, H, W\)'):
        inferencer(frames[0])
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        inferencer(frames * 2 + 0.5)
    bad = frames.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        inferencer(bad)
    with pytest.raises(TypeError, match='DICOM path'):
        inferencer(42)
    not_dicom = tmp_path / 'x.dcm'
    not_dicom.write_text('not a DICOM file')
    with pytest.raises(DSAFormatError):
        inferencer(not_dicom)


def test_minip_model_reports_its_detections_on_every_frame(dicom_paths, tmp_path):
    ckpt = save_init_checkpoint(MINIP_CONFIG, tmp_path / 'minip.pth')
    inferencer = SequenceInferencer(MINIP_CONFIG, ckpt, score_thr=0.0, cfg_options=FAST_OPTIONS)
    result = inferencer(dicom_paths[0])
    n = result['num_frames']
    assert result['projection'] is True and n > 1
    first = result['detections'][0]
    assert first['bboxes'] and all(
        d['bboxes'] == first['bboxes'] and d['scores'] == first['scores'] for d in result['detections']
    )
    best = result['best_track']
    assert best['frame_ids'] == [0] and best['frames'] == list(range(n))


def test_a_config_without_dsa_pipeline_is_rejected():
    with pytest.raises(ValueError, match='LoadDSASequence'):
        SequenceInferencer(REPO / 'configs' / 'smoke' / 'yolox_tiny_smoke.py')
