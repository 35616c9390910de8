"""tools/demo.py schedule handling and tools/analysis/demo_report.py on hand-made result files."""

from __future__ import annotations

import json
import re

from tests.conftest import REPO, load_tool, run_tool

DEMO = load_tool('tools/demo.py')


def test_full_run_keeps_each_config_schedule():
    options, final = DEMO.schedule_options('occlunet1_dsa_tiny', None, None)
    assert options == [] and final == 'iter_750.pth'
    assert DEMO.schedule_options('yolox_s_minip_dsa_tiny', None, None) == ([], 'iter_1500.pth')
    options, final = DEMO.schedule_options('classifier/gru_resnet18_dsa_tiny', None, None)
    assert options == [] and re.fullmatch(r'epoch_\d+\.pth', final)


def test_quick_run_shortens_iterations_and_moves_the_scheduler_ends():
    options, final = DEMO.schedule_options('yolox_s_minip_dsa_tiny', 40, 2)
    assert final == 'iter_40.pth'
    assert options[0] == '--cfg-options'
    assert 'train_cfg.max_iters=40' in options and 'default_hooks.checkpoint.interval=40' in options
    assert 'param_scheduler.0.end=40' in options  # warm-up of 50 iterations cut to the run
    assert 'param_scheduler.1.end=40' in options  # cosine ends with the run
    assert DEMO.schedule_options('classifier/gru_resnet18_dsa_tiny', 40, 2) == (
        ['--cfg-options', 'train_cfg.max_epochs=2'],
        'epoch_2.pth',
    )


def test_best_checkpoint_prefers_best_validation(tmp_path):
    assert DEMO.best_checkpoint(tmp_path, 'epoch_2.pth') == tmp_path / 'epoch_2.pth'
    (tmp_path / 'best_classification_mcc_epoch_1.pth').write_bytes(b'')
    assert DEMO.best_checkpoint(tmp_path, 'epoch_2.pth').name == 'best_classification_mcc_epoch_1.pth'


def detector_result(num: int, mcc: float, auc: float) -> dict:
    metrics = {f'sequence/{k}': 0.5 for k in ('precision', 'recall', 'f1')}
    metrics |= {'sequence/mcc': mcc, 'sequence/auc': auc, 'sequence/tp': 1, 'sequence/fp': 1}
    metrics |= {'sequence/fn': 1, 'sequence/tn': 1}
    seqs = [
        dict(
            video_id=i,
            file_name=f'S{i}.dcm',
            outcome='TN',
            gt_label=0,
            gt=[],
            best_track=None,
            tracks=[],
            ori_shape=[512, 512],
        )
        for i in range(num)
    ]
    settings = dict(score_thr=0.2, distance_thr=25.0, ref_size=512, single_class=True)
    return {'sequences': seqs, 'metrics': metrics, 'num_sequences': num, 'settings': settings, 'sweep': []}


def test_report_shows_the_calibrated_threshold_and_the_default_threshold_table(tmp_path):
    doc = detector_result(2, 1.0, 1.0)
    hit = dict(bbox=[100, 100, 20, 20], label=0, score=1.5, confidence=0.3, frame_ids=[0])
    alarm = dict(bbox=[300, 300, 20, 20], label=0, score=0.1, confidence=0.05, frame_ids=[0])
    doc['sequences'][0] |= dict(gt=[dict(bbox=[101, 100, 20, 20], label=0)], ori_shape=[512, 512],
                                tracks=[hit], best_track=hit, outcome='TP')  # fmt: skip
    doc['sequences'][1] |= dict(ori_shape=[512, 512], tracks=[alarm], outcome='TN')
    path = tmp_path / 'o1.json'
    path.write_text(json.dumps(doc))
    out = tmp_path / 'report.md'
    run_tool('tools/analysis/demo_report.py', '--out', out, '--results', f'OccluNet1={path}')
    text = out.read_text()
    assert '| OccluNet1 | 0.2 | 0.500 |' in text  # the test file's own (calibrated) threshold
    # at the default 0.01 the 0.05 alarm on the open run counts: TP 1, FP 1, TN 0
    assert '| OccluNet1 | 0.500 | 1.000 | 0.667 | 0.000 | 1 | 1 | 0 | 0 |' in text


def test_report_has_the_classifier_table_beside_the_detectors(tmp_path):
    det = tmp_path / 'o1.json'
    det.write_text(json.dumps(detector_result(4, 0.25, 0.75)))
    # labels 1, 1, 0, 0 with scores .9, .4, .6, .1 at threshold .5: TP, FN, FP, TN -> MCC 0, AUC 0.75
    seqs = [
        dict(video_id=i, file_name=f'S{i}.dcm', study_id=f'S{i // 2}', view=('PA', 'LAT')[i % 2], label=y,
             score=s, pred=int(s >= 0.5))
        for i, (y, s) in enumerate([(1, 0.9), (1, 0.4), (0, 0.6), (0, 0.1)])
    ]  # fmt: skip
    ens = dict(
        sequences=seqs,
        metrics={
            'PA/n': 2,
            'PA/mcc': 1.0,
            'PA/auc': 1.0,
            'PA+LAT/n': 2,
            'PA+LAT/mcc': 1.0,
            'PA+LAT/auc': 1.0,
        },
        settings={'threshold': 0.5},
        num_sequences=4,
    )
    ens_path = tmp_path / 'ens.json'
    ens_path.write_text(json.dumps(ens))
    out = tmp_path / 'report.md'
    run_tool('tools/analysis/demo_report.py', '--out', out, '--results', f'OccluNet1={det}',
             '--classifier', f'GRU={ens_path}')  # fmt: skip
    text = out.read_text()
    assert '| GRU, all test sequences | 4 | 0.000 | 0.750 | |' in text
    assert '| GRU, PA sequences | 2 | 1.000 | 1.000 | 0.65 / 0.91 |' in text
    assert '| GRU, studies, PA+LAT paired | 2 | 1.000 | 1.000 | 0.73 / 0.94 |' in text
    assert 'LAT sequences' not in text  # no LAT entry in the file
    assert '| OccluNet1 presence (best track score), all test sequences | 4 | 0.250 | 0.750 | |' in text


def test_detectors_validate_once_at_the_end_and_write_the_validation_results(tmp_path):
    out = tmp_path / 'val.json'
    # iteration-based detector: the full run validates at its last iteration only, the quick run at 40
    assert DEMO.final_validation_options('occlunet1_dsa_tiny', None, out) == [
        f'val_evaluator.out_file={out}',
        'train_cfg.val_interval=750',
    ]
    assert DEMO.final_validation_options('yolox_s_minip_dsa_tiny', 40, out)[1] == 'train_cfg.val_interval=40'
    # epoch-based configs keep their validation interval
    assert DEMO.final_validation_options('classifier/gru_resnet18_dsa_tiny', None, out) == [
        f'val_evaluator.out_file={out}'
    ]


def test_long_configs_are_the_demo_models_with_twice_the_training():
    from mmengine.config import Config

    for name in ('occlunet1', 'occlunet2'):
        short = Config.fromfile(REPO / 'configs' / f'{name}_dsa_tiny.py')
        long = Config.fromfile(REPO / 'configs' / f'{name}_dsa_tiny_long.py')
        assert long.model == short.model
        assert DEMO.schedule_options(f'{name}_dsa_tiny_long', None, None) == ([], 'iter_1500.pth')
        assert (long.train_dataloader.batch_size, long.train_dataloader.dataset.clip_length) == (4, 2)
        assert long.param_scheduler[1]['end'] == long.train_cfg.max_iters == 1500


def test_freeze_and_cache_configs_are_the_demo_model_in_two_stages(tmp_path):
    from mmengine.config import Config

    def cfg(name):
        return Config.fromfile(REPO / 'configs' / f'{name}.py')

    end_to_end, stage1 = cfg('occlunet1_dsa_tiny'), cfg('occlunet_frames_dsa_tiny')
    stage2, control = cfg('occlunet1_dsa_tiny_cached'), cfg('occlunet_frames_dsa_tiny_cached')
    # stage 1 is the same detector without a temporal module, trained on pixels
    assert stage1.model.temporal_neck.num_frames == stage1.train_dataloader.dataset.num_frames == 1
    assert stage1.model.backbone == end_to_end.model.backbone and stage1.model.neck == end_to_end.model.neck
    # stage 2 is the end-to-end model, frozen, on the stage-1 cache; the control differs only in T
    assert {**stage2.model, 'freeze_spatial': False} == {**end_to_end.model, 'freeze_spatial': False}
    assert stage2.model.freeze_spatial and stage2.train_dataloader.dataset.type == 'CachedFeatureDataset'
    assert stage2.train_dataloader.dataset.source_pipeline == stage2.val_dataloader.dataset.pipeline
    assert stage2.load_from.endswith('occlunet_frames_dsa_tiny/iter_750.pth')
    assert control.model.temporal_neck.num_frames == control.train_dataloader.dataset.num_frames == 1
    assert control.train_cfg == stage2.train_cfg and control.load_from == stage2.load_from
    assert DEMO.schedule_options('occlunet1_dsa_tiny_cached', None, None) == ([], 'iter_1500.pth')
    assert DEMO.cache_options(tmp_path / 's1.pth', tmp_path / 'cache') == [
        f'load_from={tmp_path / "s1.pth"}',
        f'train_dataloader.dataset.cache_dir={tmp_path / "cache"}',
    ]
    # the demo's detectors: OccluNet1 first (the McNemar reference), every one tested in reverse time
    names = [m[0] for m in DEMO.MODELS]
    assert names[0] == 'OccluNet1' and 'MinIP' in names and all('reverse' in m[3] for m in DEMO.MODELS)
