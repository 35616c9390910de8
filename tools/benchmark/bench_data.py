"""Data speed: DICOM decoding, the synthetic generator, and whether the training dataloader keeps up.

python tools/benchmark/bench_data.py [--decode-sizes 512 1024] [--frames 20] [--repeats 5]
    [--gen-size 256] [--gen-studies 1] [--config configs/occlunet1_dsa.py] [--studies 4] [--batches 8]
    [--train-steps 2 | --train-step-s S] [--threads N] [--out results.json]

1. Decode: ``occlunet.dicom.load_dsa`` of one synthetic run (``--frames`` frames, ``occlunet.synth``) per
   size, uncompressed and RLE Lossless (the same pixels), interleaved repeats: frames/s.
2. Generator: ``occlunet.synth.generate_dataset`` of ``--gen-studies`` studies at ``--gen-size`` (PA + LAT):
   frames/s, one worker.
3. Loader vs training: the config's training dataloader (its batch size, workers, pipeline) on a synthetic
   dataset of ``--studies`` studies at the config's input size (or ``--data-root``): samples/s and target
   frames/s over ``--batches`` batches after the first; the training step rate from ``--train-steps``
   steps of the config's model and optimizer on those batches (or ``--train-step-s``). The loader is the
   bottleneck when it delivers fewer target frames per second than the model trains. (Loader workers and
   the model share the CPU cores; both are measured alone.)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

from occlunet.benchmark import (
    add_common_args,
    build_model,
    check_common_args,
    fmt,
    format_table,
    goal,
    goals_table,
    load_config,
    log,
    machine_info,
    setup,
    spread,
    summary,
    time_interleaved,
    write_json,
    write_synthetic_run,
)

REPO = Path(__file__).resolve().parents[2]

GOAL_SIZE = 512
UNCOMPRESSED_FPS = 300.0
RLE_FPS = 60.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--decode-sizes', type=int, nargs='+', default=[512, 1024])
    parser.add_argument('--frames', type=int, default=20, help='frames of each decoded run')
    parser.add_argument('--gen-size', type=int, default=256, help='generator benchmark frame size')
    parser.add_argument('--gen-studies', type=int, default=1, help='generator benchmark studies')
    parser.add_argument('--config', default=str(REPO / 'configs' / 'occlunet1_dsa.py'))
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE', help='config overrides')
    parser.add_argument('--data-root', default=None, help='dataset for the loader (default: synthetic)')
    parser.add_argument('--studies', type=int, default=4, help='synthetic studies for the loader')
    parser.add_argument('--data-size', type=int, default=None, help='synthetic DICOM size (default: input)')
    parser.add_argument('--batches', type=int, default=8, help='timed loader batches')
    parser.add_argument('--train-steps', type=int, default=2, help='timed training steps (after one)')
    parser.add_argument(
        '--train-step-s', type=float, default=None, help='seconds per step; skips --train-steps'
    )
    parser.add_argument('--skip', nargs='*', default=[], choices=('decode', 'generator', 'loader'))
    add_common_args(parser, repeats=5, warmup=1)
    args = parser.parse_args(argv)
    check_common_args(parser, args)
    if args.frames < 1 or args.batches < 1 or args.studies < 1 or args.train_steps < 1:
        parser.error('--frames, --batches, --studies and --train-steps must be >= 1')
    return args


def parse_options(items: list[str]) -> dict:
    from mmengine.config import DictAction

    namespace = argparse.Namespace()
    DictAction(option_strings=[], dest='options')(None, namespace, items)
    return namespace.options or {}


def bench_decode(args: argparse.Namespace, device: torch.device, folder: Path) -> tuple[dict, dict]:
    """frames/s of load_dsa per (size, compression), and the generator's speed while writing them."""
    from occlunet.dicom import load_dsa

    files, generated = {}, {}
    for size in args.decode_sizes:
        for compress in ('none', 'rle'):
            log(f'writing a {args.frames}-frame {size}^2 run ({compress})')
            path, info = write_synthetic_run(folder / f'{size}_{compress}', size, args.frames, compress)
            files[f'{size}/{compress}'] = path
            generated[f'{size}/{compress}'] = info['frames_per_second']
    variants = {name: (lambda p=path: load_dsa(p)) for name, path in files.items()}
    times = time_interleaved(variants, args.repeats, args.warmup, device, progress=log)
    results = {}
    for name, samples in times.items():
        per_file = summary(samples)
        results[name] = {
            'seconds_per_run': per_file,
            'frames_per_s': args.frames / per_file['median'],
            'bytes': files[name].stat().st_size,
        }
    return results, generated


def bench_generator(args: argparse.Namespace, folder: Path) -> dict:
    from occlunet.synth import generate_dataset

    log(f'generator: {args.gen_studies} studies at {args.gen_size}^2')
    start = time.perf_counter()
    info = generate_dataset(folder, args.gen_studies, size=args.gen_size, seed=1, progress=False)
    seconds = time.perf_counter() - start
    return {
        'size': args.gen_size,
        'studies': args.gen_studies,
        'frames': info['num_frames'],
        'seconds': seconds,
        'frames_per_s': info['num_frames'] / seconds,
    }


def targets_of(batch: dict) -> int:
    """Target frames in a batch: one per window sample, K per clip (``target_frame_ids``)."""
    total = 0
    for sample in batch['data_samples']:
        ids = sample.metainfo.get('target_frame_ids')
        total += 1 if ids is None else len(ids)
    return total


def bench_loader(args: argparse.Namespace, device: torch.device, folder: Path) -> dict:
    """Loader samples/s and target frames/s; training step rate; the verdict."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    from occlunet.engine.data_root import set_data_root

    cfg = load_config(args.config, parse_options(args.cfg_options))
    root = args.data_root
    if root is None:
        pipeline = cfg.train_dataloader.dataset.pipeline
        scale = next((t['scale'] for t in pipeline if t['type'] == 'ResizeSequence'), (512, 512))
        size = args.data_size or int(max(scale))
        log(f'loader: synthetic dataset of {args.studies} studies at {size}^2')
        from occlunet.synth import generate_dataset

        generate_dataset(folder, args.studies, size=size, seed=2, progress=False, split=(1.0, 0.0, 0.0))
        root = str(folder)
    set_data_root(cfg, root)
    loader_cfg = cfg.train_dataloader
    with DefaultScope.overwrite_default_scope('mmdet'):
        loader = Runner.build_dataloader(loader_cfg, seed=0)
        batches = iter(loader)
        start = time.perf_counter()
        first = next(batches)
        first_s = time.perf_counter() - start
        kept, samples, targets = [first], 0, 0
        start = time.perf_counter()
        for _ in range(args.batches):
            try:
                batch = next(batches)
            except StopIteration:  # a small dataset: start another epoch
                batches = iter(loader)
                batch = next(batches)
            samples += len(batch['data_samples'])
            targets += targets_of(batch)
            if len(kept) < args.train_steps + 1:
                kept.append(batch)
        loader_s = time.perf_counter() - start
        del batches, loader  # stop the workers before the model trains

        step_s, measured = args.train_step_s, False
        if step_s is None:
            log(f'training: 1 + {args.train_steps} steps of {Path(args.config).name}')
            torch.manual_seed(0)
            model = build_model(cfg.model).to(device).train()
            optim = build_optim_wrapper(model, cfg.optim_wrapper)
            model.train_step(kept[0], optim)  # warm-up
            steps = kept[1 : args.train_steps + 1] or kept[:1]
            start = time.perf_counter()
            for batch in steps:
                model.train_step(batch, optim)
            step_s, measured = (time.perf_counter() - start) / len(steps), True
    per_batch_targets = targets_of(first)
    loader_targets_per_s = targets / loader_s
    train_targets_per_s = per_batch_targets / step_s
    return {
        'config': str(args.config),
        'batch_size': loader_cfg.batch_size,
        'num_workers': loader_cfg.num_workers,
        'first_batch_s': first_s,
        'batches': args.batches,
        'loader_samples_per_s': samples / loader_s,
        'loader_targets_per_s': loader_targets_per_s,
        'train_step_s': step_s,
        'train_step_measured': measured,
        'train_targets_per_s': train_targets_per_s,
        'loader_is_bottleneck': loader_targets_per_s < train_targets_per_s,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = setup(args)
    document: dict = {
        'benchmark': 'data',
        'machine': machine_info(device, args.threads),
        'settings': {k: v for k, v in vars(args).items() if k not in ('out',)},
    }
    goals = []
    with tempfile.TemporaryDirectory(prefix='bench_data_') as tmp:
        tmp = Path(tmp)
        if 'decode' not in args.skip:
            decode, generated = bench_decode(args, device, tmp / 'decode')
            document['decode'] = decode
            document['generator_while_writing'] = generated
            print(f'\n## DICOM decode (load_dsa), {args.frames} frames per run\n')
            rows = [
                [name, spread(r['seconds_per_run'], 4), fmt(r['frames_per_s'], 0), f'{r["bytes"] / 1e6:.1f}']
                for name, r in decode.items()
            ]
            print(format_table(['size/compression', 's per run median [IQR]', 'frames/s', 'MB'], rows))
            for compress, target in (('none', UNCOMPRESSED_FPS), ('rle', RLE_FPS)):
                r = decode.get(f'{GOAL_SIZE}/{compress}')
                goals.append(
                    goal(f'decode {GOAL_SIZE}^2 {compress}, frames/s', r and r['frames_per_s'], target, True)
                )
        if 'generator' not in args.skip:
            gen = bench_generator(args, tmp / 'generator')
            document['generator'] = gen
            print(
                f'\n## Synthetic generator: {gen["frames_per_s"]:.1f} frames/s ({gen["frames"]} frames at '
                f'{gen["size"]}^2, {gen["studies"]} studies, 1 worker)'
            )
        if 'loader' not in args.skip:
            loader = bench_loader(args, device, tmp / 'loader')
            document['loader'] = loader
            verdict = 'IS' if loader['loader_is_bottleneck'] else 'is NOT'
            print(f'\n## Training dataloader vs training step ({Path(args.config).name})\n')
            print(
                format_table(
                    ['what', 'value'],
                    [
                        ['batch size / workers', f'{loader["batch_size"]} / {loader["num_workers"]}'],
                        ['first batch s (workers start, cache fill)', fmt(loader['first_batch_s'])],
                        ['loader samples/s', fmt(loader['loader_samples_per_s'])],
                        ['loader target frames/s', fmt(loader['loader_targets_per_s'])],
                        [
                            's per training step' + ('' if loader['train_step_measured'] else ' (given)'),
                            fmt(loader['train_step_s']),
                        ],
                        ['training target frames/s', fmt(loader['train_targets_per_s'])],
                    ],
                )
            )
            print(f'\nthe loader {verdict} the bottleneck')
    if goals:
        print('\n## Goals\n')
        print(goals_table(goals))
    document['goals'] = goals
    write_json(args.out, document)
    return 0


if __name__ == '__main__':
    sys.exit(main())
