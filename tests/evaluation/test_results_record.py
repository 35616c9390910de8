"""The typed result-file record (occlunet.evaluation.results_record): the metric's JSON layout, files of
earlier versions and the schema version."""

from __future__ import annotations

import json
import math

import pytest

from occlunet.evaluation.results_record import (
    SCHEMA_VERSION,
    ResultGT,
    ResultSequence,
    ResultsFile,
    ResultsFileError,
    ResultTrack,
    json_safe,
)
from occlunet.evaluation.stats import load_results, load_results_file

TRACK = dict(
    bbox=[195.0, 190.0, 20.0, 20.0],
    label=0,
    label_name='M1',
    score=8.1,
    confidence=0.9,
    passed=True,
    frame_ids=[0, 1, 2],
    track_id=0,
)
SEQUENCE = dict(
    video_id=1,
    file_name='dicom/S0001_PA.dcm',
    img_path='/data/dicom/S0001_PA.dcm',
    ori_shape=[512, 512],
    gt_label=1,
    gt=[dict(bbox=[190.0, 190.0, 20.0, 20.0], label=0, label_name='M1')],
    best_track=TRACK,
    tracks=[TRACK],
    outcome='TP',
    gt_class='M1',
    pred_class='M1',
    distance=7.07,
)
SETTINGS = dict(score_thr=0.01, distance_thr=25.0, ref_size=512.0, single_class=False, classes=['M1'])


def document(**extra) -> dict:
    """A result file as ``SequenceDetectionMetric`` wrote it before ``schema_version`` existed."""
    return dict(
        settings=SETTINGS,
        num_sequences=1,
        metrics={'sequence/recall': 1.0, 'sequence/auc': None},
        sweep=[dict(score_thr=0.01, tp=1, fp=0, fn=0, tn=0, precision=1.0, recall=1.0, f1=1.0)],
        sequences=[SEQUENCE],
        **extra,
    )


def test_a_file_without_schema_version_round_trips_with_the_version_added():
    record = ResultsFile.from_json(document())
    assert record.schema_version == 1
    assert record.to_json() == dict(schema_version=SCHEMA_VERSION, **document())
    assert list(record.to_json()) == [
        'schema_version',
        'settings',
        'num_sequences',
        'metrics',
        'sweep',
        'sequences',
    ]


def test_sequence_and_track_keys_keep_the_metric_order():
    seq = ResultSequence.from_json(SEQUENCE)
    assert list(seq.to_json()) == list(SEQUENCE)
    assert list(seq.best_track.to_json()) == list(TRACK)
    assert seq.best_track.xyxy.tolist() == [195.0, 190.0, 215.0, 210.0]
    assert seq.gt[0].xyxy.tolist() == [190.0, 190.0, 210.0, 210.0]
    assert seq.correct and seq.confidence == 0.9


def test_hand_made_entries_read_with_defaults():
    seq = ResultSequence.from_json(
        dict(video_id=3, file_name='a.dcm', gt_label=0, gt=[], best_track=None, outcome='FP')
    )
    assert seq.tracks == [] and seq.img_path is None and seq.distance is None
    assert not seq.correct and seq.confidence == 0.0
    track = ResultTrack.from_json(dict(bbox=[0, 0, 1, 1], label=0, score=1.0, confidence=0.5, extra=1))
    assert track.track_id is None and track.passed is None


def test_nan_is_written_as_null(tmp_path):
    record = ResultsFile(
        settings=dict(SETTINGS),
        num_sequences=1,
        metrics={'sequence/auc': math.nan},
        sweep=[dict(score_thr=0.5, precision=math.nan, recall=0.0)],
        sequences=[
            ResultSequence(
                video_id=1,
                file_name='a.dcm',
                gt_label=1,
                gt=[ResultGT(bbox=[0.0, 0.0, 1.0, 1.0], label=0, label_name='M1')],
                best_track=None,
                outcome='FN',
            )
        ],
    )
    path = record.write(tmp_path / 'sub' / 'r.json')
    text = path.read_text()
    assert 'NaN' not in text
    doc = json.loads(text)
    assert doc['metrics']['sequence/auc'] is None and doc['sweep'][0]['precision'] is None
    assert load_results_file(path).sequences[0].gt[0].label_name == 'M1'
    assert load_results(path)['schema_version'] == SCHEMA_VERSION


def test_a_newer_schema_is_refused_with_the_file_named(tmp_path):
    path = tmp_path / 'new.json'
    path.write_text(json.dumps(document(schema_version=SCHEMA_VERSION + 1)))
    with pytest.raises(ResultsFileError, match=rf'new\.json: results schema_version {SCHEMA_VERSION + 1}'):
        load_results_file(path)


def test_a_malformed_sequence_is_named(tmp_path):
    doc = document()
    doc['sequences'] = [dict(SEQUENCE, gt=[dict(bbox=[0, 0, 1, 1])])]
    with pytest.raises(ResultsFileError, match=r"r\.json: sequences\[0\] is malformed.*'label'"):
        ResultsFile.from_json(doc, 'r.json')


def test_json_safe():
    assert json_safe({'a': [math.inf, 1.0, (math.nan,)]}) == {'a': [None, 1.0, [None]]}
