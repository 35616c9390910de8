"""`make demo`: the project's main job on the embedded synthetic data, one progress line per stage.

  1. generate the default synthetic DSA dataset if it is absent (tools/make_synthetic.py)
  2. validate it (tools/check_dataset.py) and write browse GIFs/MinIP PNGs of a few sequences
  3. freeze-and-cache training of OccluNet: the per-frame detector (stage 1, pixels; tools/train.py), its
     frozen backbone + PAFPN features of every training frame (tools/cache_features.py), then OccluNet1 and
     the T = 1 control (same cache, same schedule, no temporal module) on the cache (stage 2); the MinIP
     baseline (pixels, its own schedule)
  4. choose each detector's presence threshold (score_thr) on the validation split (tools/test.py --out on
     val, tools/analysis/calibrate_threshold.py), then test all models on the held-out test split with it
     (tools/test.py --out, GIFs of OccluNet1 with --show-dir), and again with every test run played
     backwards and shuffled (tools/test.py --time-order): does the model use time?
  5. train and test the GRU sequence classifier (both views)
  6. McNemar OccluNet1 vs MinIP, vs the T = 1 control (and vs OccluNet2), PR/ROC curves (tools/analysis/),
     the classifier's PA, LAT and PA+LAT figures (tools/ensemble.py)
  7. write WORK_DIR/report.md (tools/analysis/demo_report.py)

    python tools/demo.py [--quick] [--all-models] [--data-root DIR] [--work-dir work_dirs/demo] [--retrain]

The full run trains every model for its config's schedule; --quick shortens every schedule. --all-models
adds OccluNet2 (stage 2 on the same cache). A model whose final checkpoint already exists in the work dir
is not trained again (--retrain forces it; a retrained stage 1 rebuilds the cache and retrains stage 2).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from occlunet.evaluation.stats import time_order_path
from occlunet.synth import GENERATOR_VERSION, recorded_version

REPO = Path(__file__).resolve().parents[1]

# Full and quick (DEMO_QUICK=1) runs: dataset size and split by study (the full run's test split, 66 studies =
# 132 runs, is larger than its validation split: testing is cheap next to training, and 60 test runs cannot
# separate two models); the quick run overrides the schedules (None: the config's own).
RUNS = {
    'full': dict(
        root='data/synth_dsa', studies=240, split=(0.6, 0.125, 0.275), size=512, iters=None, epochs=None
    ),
    'quick': dict(
        root='data/synth_dsa_quick', studies=24, split=(0.7, 0.15, 0.15), size=256, iters=40, epochs=2
    ),
}
STAGE1 = ('per-frame detector (stage 1)', 'occlunet_frames_dsa_tiny')  # its backbone + neck are cached
# (report name, config, trained on the stage-1 feature cache, test-time orders besides forward: does the
# model use time? tools/test.py --time-order); the first is the reference of the McNemar tests, the others
# are compared with it in this order. The MinIP is invariant to the order by construction: its reversed
# run is the control.
MODELS = (
    ('OccluNet1', 'occlunet1_dsa_tiny_cached', True, ('reverse', 'shuffle')),
    ('MinIP', 'yolox_s_minip_dsa_tiny', False, ('reverse',)),
    ('T=1 control', 'occlunet_frames_dsa_tiny_cached', True, ('reverse',)),
)
MORE_MODELS = (('OccluNet2', 'occlunet2_dsa_tiny_cached', True, ('reverse', 'shuffle')),)  # --all-models
CLASSIFIER = ('GRU classifier', 'classifier/gru_resnet18_dsa_tiny')


class Stages:
    """Runs the tools one after another and prints a progress line per stage."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.number = 0

    def run(self, title: str, *cmd: str | Path) -> None:
        self.number += 1
        tag = f'[demo {self.number}/{self.total}]'
        print(f'{tag} {title} ...', flush=True)
        start = time.monotonic()
        subprocess.run([sys.executable, *map(str, cmd)], cwd=REPO, check=True)
        print(f'{tag} {title}: done in {time.monotonic() - start:.0f} s', flush=True)

    def skip(self, title: str) -> None:
        self.number += 1
        print(f'[demo {self.number}/{self.total}] {title}', flush=True)


def schedule(config: str) -> dict:
    """The config's training loop (``train_cfg``) and LR schedulers, read without building anything."""
    from mmengine.config import Config

    cfg = Config.fromfile(REPO / 'configs' / f'{config}.py')
    return dict(train_cfg=cfg.train_cfg.to_dict(), param_scheduler=[dict(s) for s in cfg.param_scheduler])


def schedule_options(config: str, iters: int | None, epochs: int | None) -> tuple[list[str], str]:
    """``--cfg-options`` that shorten the config's schedule (quick run), and the final checkpoint's name.

    Iteration-based configs get ``iters`` iterations (a validation and a checkpoint at the end, the
    schedulers' ends moved with them); epoch-based ones ``epochs`` epochs. None keeps the config's."""
    sched = schedule(config)
    loop = sched['train_cfg']
    by_iter = loop.get('type') == 'IterBasedTrainLoop'
    length = loop['max_iters'] if by_iter else loop['max_epochs']
    short = iters if by_iter else epochs
    if short is None:
        return [], f'{"iter" if by_iter else "epoch"}_{length}.pth'
    if by_iter:
        options = [f'train_cfg.max_iters={short}', f'train_cfg.val_interval={short}',
                   f'default_hooks.checkpoint.interval={short}']  # fmt: skip
        for i, scheduler in enumerate(sched['param_scheduler']):
            if scheduler.get('end', 0) > short:
                options.append(f'param_scheduler.{i}.end={short}')
            if scheduler.get('begin', 0) >= short:
                options.append(f'param_scheduler.{i}.begin=0')
        return ['--cfg-options', *options], f'iter_{short}.pth'
    return ['--cfg-options', f'train_cfg.max_epochs={short}'], f'epoch_{short}.pth'


def final_validation_options(config: str, iters: int | None, val_out: Path) -> list[str]:
    """``--cfg-options`` items for a detector's training run: validate only at the end (iteration-based
    loops) and write that validation's per-sequence results to ``val_out``, the file the presence
    threshold is chosen on (so the demo does not run the validation split twice)."""
    loop = schedule(config)['train_cfg']
    items = [f'val_evaluator.out_file={val_out}']
    if loop.get('type') == 'IterBasedTrainLoop':
        items.append(f'train_cfg.val_interval={iters or loop["max_iters"]}')
    return items


def best_checkpoint(model_dir: Path, final: str) -> Path:
    """The best-validation checkpoint (``best_*.pth``: the classifier's MCC), else ``final``."""
    best = sorted(model_dir.glob('best_*.pth'), key=lambda p: p.stat().st_mtime)
    return best[-1] if best else model_dir / final


def calibrate(stages: Stages, name: str, val_results: Path, out: Path) -> float:
    """Run ``tools/analysis/calibrate_threshold.py`` (Youden's J on the validation split) and return the
    threshold."""
    stages.run(f"{name}: presence threshold maximising Youden's J on validation",
               'tools/analysis/calibrate_threshold.py', val_results, '--json', out)  # fmt: skip
    return float(json.loads(out.read_text())['score_thr'])


def cache_options(stage1_ckpt: Path, cache_dir: Path) -> list[str]:
    """``--cfg-options`` items of a stage-2 config: the stage-1 weights and the cache computed with them."""
    return [f'load_from={stage1_ckpt}', f'train_dataloader.dataset.cache_dir={cache_dir}']


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--quick', action='store_true', help='smaller data and schedules, for a first look')
    parser.add_argument('--all-models', action='store_true', help='also train and test OccluNet2')
    parser.add_argument('--data-root', help='dataset directory (default depends on --quick)')
    parser.add_argument('--work-dir', help='default: work_dirs/demo (work_dirs/demo_quick with --quick)')
    parser.add_argument('--retrain', action='store_true', help='train even if a final checkpoint exists')
    args = parser.parse_args()

    started = time.monotonic()
    spec = RUNS['quick' if args.quick else 'full']
    data_root = Path(args.data_root or spec['root'])
    work = Path(args.work_dir or ('work_dirs/demo_quick' if args.quick else 'work_dirs/demo'))
    all_json = data_root / 'annotations' / 'all.json'
    models = MODELS + (MORE_MODELS if args.all_models else ())
    others = [name for name, *_ in models[1:]]
    stages = Stages(total=3 + 2 + len(models) + 1 + sum(3 + len(m[3]) for m in models) + 1 + len(others) + 3)

    found = recorded_version(data_root)  # None: absent or not written by the generator
    regenerate = found != GENERATOR_VERSION
    if not regenerate:
        stages.skip(f'dataset {data_root} (generator {found}) exists; not regenerated')
    else:  # absent, or of another generator version: new data, so every model is trained again
        if found is not None:
            print(f'[demo] {data_root} was written by generator {found}, this is {GENERATOR_VERSION}: '
                  'regenerating it and retraining every model', flush=True)  # fmt: skip
        stages.run(f'generate {spec["studies"]} studies at {spec["size"]} px into {data_root}',
                   'tools/make_synthetic.py', '--out', data_root, '--studies', str(spec['studies']),
                   '--size', str(spec['size']), '--seed', '0', '--workers', '2',
                   '--split', *map(str, spec['split']))  # fmt: skip
    stages.run('check the dataset', 'tools/check_dataset.py', data_root, all_json)
    stages.run(f'browse GIFs into {work / "browse"}', 'tools/browse_dataset.py', data_root, all_json,
               '--out-dir', work / 'browse', '--max-videos', '6')  # fmt: skip

    def train(name: str, config: str, extra: list[str], force: bool = False) -> tuple[Path, str, bool]:
        """Train unless the final checkpoint exists (``force``: always); returns (work dir, final
        checkpoint name, trained)."""
        model_dir = work / config
        options, final = schedule_options(config, spec['iters'], spec['epochs'])
        if extra:
            options = [*(options or ['--cfg-options']), *extra]
        if (model_dir / final).exists() and not (args.retrain or force or regenerate):
            stages.skip(f'train {name}: {model_dir / final} exists; not retrained')
            return model_dir, final, False
        stages.run(f'train {name} ({config}, until {final})',
                   'tools/train.py', f'configs/{config}.py', '--work-dir', model_dir,
                   '--data-root', data_root, *options)  # fmt: skip
        return model_dir, final, True

    # freeze-and-cache: stage 1 on pixels, its features cached once, stage 2 on the cache
    stage1_val = work / 'results' / 'val' / f'{STAGE1[1]}.json'  # validated once, at the end
    stage1_dir, stage1_final, stage1_trained = train(
        *STAGE1, final_validation_options(STAGE1[1], spec['iters'], stage1_val)
    )
    stage1_ckpt = stage1_dir / stage1_final
    cache_dir = work / 'feature_cache' / STAGE1[1]
    if (cache_dir / 'manifest.json').exists() and not stage1_trained:
        stages.skip(f'feature cache {cache_dir} exists; not rebuilt')
    else:
        stages.run(f'cache the frozen per-frame features of the training split into {cache_dir}',
                   'tools/cache_features.py', f'configs/{STAGE1[1]}.py', stage1_ckpt, '--out', cache_dir,
                   '--data-root', data_root, '--splits', 'train', '--flip', '--overwrite')  # fmt: skip

    results, checkpoints, trained = {}, {}, set()
    val_results = {
        name: work / 'results' / 'val' / f'{Path(config).name}.json' for name, config, *_ in models
    }
    for name, config, cached, _ in models:
        extra = final_validation_options(config, spec['iters'], val_results[name])
        if cached:
            extra += cache_options(stage1_ckpt, cache_dir)
        # a new stage 1 (and cache) makes an older stage 2 stale: retrain it
        model_dir, final, done = train(name, config, extra, force=cached and stage1_trained)
        checkpoints[name] = (model_dir, final)
        if done:
            trained.add(name)

    for name, config, _, orders in models:
        model_dir, final = checkpoints[name]
        stem = Path(config).name
        if name in trained and val_results[name].exists():
            stages.skip(f'{name} on the validation split: written by its final validation')
        else:  # trained by an earlier run: validate its final checkpoint here
            stages.run(f'{name} on the validation split (to choose its presence threshold)',
                       'tools/test.py', f'configs/{config}.py', model_dir / final,
                       '--work-dir', model_dir / 'val', '--data-root', data_root, '--out', val_results[name],
                       '--cfg-options', 'test_dataloader.dataset.ann_file=annotations/val.json')  # fmt: skip
        threshold = calibrate(
            stages, name, val_results[name], work / 'results' / 'val' / f'{stem}_threshold.json'
        )
        results[name] = work / 'results' / f'{stem}.json'
        show = ['--show-dir', work / 'gifs' / config] if name == models[0][0] else []
        test_options = ['--cfg-options', f'test_evaluator.score_thr={threshold:.6g}']
        stages.run(f'test {name} on the test split (score_thr {threshold:.6g} from validation)',
                   'tools/test.py', f'configs/{config}.py', model_dir / final,
                   '--work-dir', model_dir / 'test', '--data-root', data_root,
                   '--out', results[name], *show, *test_options)  # fmt: skip
        for order in orders:
            out = time_order_path(results[name], order)  # beside the forward results: the report finds it
            stages.run(f'test {name} with every test run in {order} time order',
                       'tools/test.py', f'configs/{config}.py', model_dir / final,
                       '--work-dir', model_dir / f'test_{order}', '--data-root', data_root,
                       '--out', out, '--time-order', order, *test_options)  # fmt: skip
    # the classifier after the detectors' results: a failure or a stop there never costs the detector tables
    cls_name, cls_config = CLASSIFIER
    cls_dir, cls_final, _ = train(cls_name, cls_config, [])
    cls_results = work / 'results' / f'{Path(cls_config).name}.json'
    stages.run(f'test the {cls_name} (best validation MCC) on the test split',
               'tools/test.py', f'configs/{cls_config}.py', best_checkpoint(cls_dir, cls_final),
               '--work-dir', cls_dir / 'test', '--data-root', data_root, '--out', cls_results)  # fmt: skip

    ref = models[0][0]
    mcnemar = []
    for other in others:
        out = work / 'results' / f'mcnemar_{ref}_vs_{other}.json'.replace(' ', '_').replace('=', '')
        stages.run(f'McNemar {ref} vs {other}', 'tools/analysis/mcnemar.py', results[ref], results[other],
                   '--names', ref, other, '--json', out)  # fmt: skip
        mcnemar.append(f'{ref} vs {other}={out}')
    curves = work / 'curves.png'
    stages.run('PR and ROC curves', 'tools/analysis/plot_curves.py', *results.values(),
               '--names', *results.keys(), '--out', curves)  # fmt: skip
    cls_json, cls_roc = work / 'results' / 'classifier_pa_lat.json', work / 'classifier_roc.png'
    stages.run(f'{cls_name}: PA, LAT and PA+LAT', 'tools/ensemble.py', cls_results, '--names', cls_name,
               '--json', cls_json, '--plot', cls_roc)  # fmt: skip
    minutes = (time.monotonic() - started) / 60
    command = 'make demo DEMO_QUICK=1' if args.quick else 'make demo'
    stages.run('write the report', 'tools/analysis/demo_report.py', '--out', work / 'report.md',
               '--results', *(f'{k}={v}' for k, v in results.items()), '--mcnemar', *mcnemar,
               '--curves', curves, '--gif-dir', work / 'gifs' / models[0][1],
               '--classifier', f'{cls_name}={cls_json}', '--classifier-roc', cls_roc,
               '--command', command, '--wall-time', f'{minutes:.0f} min before the report',
               *(['--quick'] if args.quick else []))  # fmt: skip
    print(f'[demo] finished in {minutes:.1f} min; report: {work / "report.md"}', flush=True)


if __name__ == '__main__':
    main()
