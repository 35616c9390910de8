"""End to end: tools/train.py on the tiny sequence classifier config (one view, tiny images, 2 epochs with
validation), then tools/test.py --out results.json: the per-sequence JSON that tools/ensemble.py reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from occlunet.synth import generate_dataset

from ..conftest import run_tool

pytestmark = pytest.mark.slow

CONFIG = 'configs/classifier/gru_resnet18_dsa_tiny.py'
EPOCHS = 2
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@pytest.fixture(scope='module')
def dsa_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp('dsa_cls')
    generate_dataset(
        root, 8, size=64, seed=5, split=(0.5, 0.25, 0.25), progress=False, frames_min=5, frames_max=7
    )
    return root


def options(view: str = 'PA', scale: int = 32) -> list[str]:
    """A few tiny epochs on one view (the per-view training of the README)."""
    opts = [
        f'train_cfg.max_epochs={EPOCHS}',
        'train_dataloader.batch_size=2',
        'model.hidden_size=16',
        'default_hooks.logger.interval=1',
    ]
    for loader in LOADERS:
        opts += [f'{loader}.dataset.pipeline.1.scale=({scale},{scale})', f"{loader}.dataset.views=['{view}']"]
    return ['--cfg-options', *opts]


def test_tiny_classifier_trains_per_view_and_writes_results(dsa_root: Path, tmp_path: Path) -> None:
    work = tmp_path / 'work'
    run_tool('tools/train.py', CONFIG, '--work-dir', work, '--data-root', dsa_root, *options(), timeout=900)
    assert (work / f'epoch_{EPOCHS}.pth').is_file()
    best = list(work.glob('best_classification_mcc_epoch_*.pth'))  # save_best on the validation MCC
    assert len(best) == 1
    log = next(work.glob('*/*.log')).read_text()
    assert f'Epoch(train) [{EPOCHS}]' in log and 'classification/mcc' in log and 'classification/auc' in log
    assert 'training in full precision' in log  # AmpOptimWrapper falls back without CUDA

    out = tmp_path / 'results.json'
    proc = run_tool(
        'tools/test.py', CONFIG, best[0], '--work-dir', tmp_path / 'test', '--data-root', dsa_root,
        '--out', out, *options(), timeout=900,
    )  # fmt: skip
    assert 'classification/mcc' in proc.stdout + proc.stderr
    document = json.loads(out.read_text())
    assert sorted(document) == ['metrics', 'num_sequences', 'sequences', 'settings']
    annotations = json.loads((dsa_root / 'annotations' / 'test.json').read_text())
    pa = {v['id']: v for v in annotations['videos'] if v['view'] == 'PA'}
    positives = {a['video_id'] for a in annotations['annotations']}
    sequences = document['sequences']
    assert document['num_sequences'] == len(sequences) == len(pa)
    for seq in sequences:
        assert list(seq) == ['video_id', 'file_name', 'study_id', 'view', 'label', 'score', 'pred']
        video = pa[seq['video_id']]
        assert (seq['file_name'], seq['study_id']) == (video['file_name'], video['study_id'])
        assert seq['view'] == 'PA'
        assert seq['label'] == int(seq['video_id'] in positives)
        assert 0.0 <= seq['score'] <= 1.0 and seq['pred'] == int(seq['score'] >= 0.5)
    metrics = document['metrics']
    assert metrics['classification/tp'] == sum(s['label'] == 1 and s['pred'] == 1 for s in sequences)
    assert metrics['classification/tn'] == sum(s['label'] == 0 and s['pred'] == 0 for s in sequences)
