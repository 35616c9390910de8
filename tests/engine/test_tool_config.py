"""set_time_order: the test-time ablation step in a config's test pipeline and in its results' settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from mmengine.config import Config

from occlunet.engine import metric_accepts, set_data_root, set_time_order

REPO = Path(__file__).resolve().parents[2]


def load(name: str) -> Config:
    return Config.fromfile(str(REPO / 'configs' / f'{name}.py'))


def step_types(pipeline: list[dict]) -> list[str]:
    return [step['type'] for step in pipeline]


@pytest.mark.parametrize('name', ['occlunet1_dsa_tiny', 'yolox_s_minip_dsa_tiny'])
def test_step_goes_right_after_loading_and_into_the_settings(name):
    cfg = load(name)
    before = step_types(cfg.test_dataloader.dataset.pipeline)
    assert set_time_order(cfg, 'shuffle', seed=7) == ['test_dataloader.dataset.pipeline']
    pipeline = cfg.test_dataloader.dataset.pipeline
    assert step_types(pipeline) == [before[0], 'ReorderFrames', *before[1:]]
    assert (pipeline[1]['order'], pipeline[1]['seed']) == ('shuffle', 7)
    assert cfg.test_evaluator['extra_settings'] == {'time_order': 'shuffle', 'time_seed': 7}
    assert 'ReorderFrames' not in step_types(cfg.val_dataloader.dataset.pipeline)  # test only
    # a second call replaces the step instead of stacking a second one
    set_time_order(cfg, 'reverse')
    assert step_types(cfg.test_dataloader.dataset.pipeline).count('ReorderFrames') == 1
    assert cfg.test_dataloader.dataset.pipeline[1]['order'] == 'reverse'
    assert cfg.test_evaluator['extra_settings'] == {'time_order': 'reverse', 'time_seed': 0}


def test_wrapped_datasets_and_metric_lists():
    inner = dict(type='DSAVideoDataset', pipeline=[dict(type='LoadDSASequence'), dict(type='PackDSAInputs')])
    cfg = Config(
        dict(
            test_dataloader=dict(dataset=dict(type='ConcatDataset', datasets=[inner, inner])),
            test_evaluator=[dict(type='SequenceDetectionMetric'), dict(type='CocoMetric')],
        )
    )
    changed = set_time_order(cfg, 'reverse')
    assert changed == [f'test_dataloader.dataset.datasets.{i}.pipeline' for i in (0, 1)]
    for dataset in cfg.test_dataloader.dataset.datasets:
        assert step_types(dataset.pipeline) == ['LoadDSASequence', 'ReorderFrames', 'PackDSAInputs']
    assert cfg.test_evaluator[0]['extra_settings']['time_order'] == 'reverse'
    assert 'extra_settings' not in cfg.test_evaluator[1]  # CocoMetric writes no such settings
    assert set_data_root(cfg, '/data') == [f'test_dataloader.dataset.datasets.{i}.data_root' for i in (0, 1)]


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match='time order must be one of'):
        set_time_order(load('occlunet1_dsa_tiny'), 'backwards')
    cfg = Config(dict(test_dataloader=dict(dataset=dict(pipeline=[dict(type='LoadImageFromFile')]))))
    with pytest.raises(ValueError, match=r'test_dataloader\.dataset\.pipeline has no LoadDSASequence'):
        set_time_order(cfg, 'reverse')


def test_metric_accepts_reads_the_registered_signature():
    assert metric_accepts(dict(type='SequenceDetectionMetric'), 'out_file')
    assert metric_accepts(dict(type='SequenceDetectionMetric'), 'extra_settings')
    assert not metric_accepts(dict(type='CocoMetric'), 'extra_settings')
    assert metric_accepts(dict(type='CocoMetric', extra_settings={}), 'extra_settings')
