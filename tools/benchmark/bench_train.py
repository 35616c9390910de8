"""Training speed per target frame: OccluNet1 (window samples, clips) vs plain YOLOX-S.

python tools/benchmark/bench_train.py [--size 512] [--batch 4] [--clip-targets 4] [--repeats 5]
    [--threads N] [--device cpu|cuda] [--amp bf16] [--channels-last] [--out results.json]

Models from ``configs/occlunet1_dsa.py`` (and mmdet YOLOX with its backbone widths, neck and head) through
the registry, the config's optimizer (SGD, Nesterov), synthetic tensors (one box per target frame),
``model.train_step`` timed after a warm-up step, the variants interleaved (occlunet/benchmark/timing.py):

    yolox_s            a batch of ``--batch`` images.
    occlunet1_windows  a batch of ``--batch`` windows of T = 3 neighbour stacks (window mode: 3 backbone
                       passes per target frame).
    occlunet1_clip     ``--batch / --clip-targets`` clips of ``--clip-targets`` consecutive targets (K + 2
                       stacks each; each stack's features once), the same number of target frames; only
                       when the detector has clip training (``OccluNet.clip_features``).

Per target frame = seconds per step / target frames per step. Goal (2-core CPU, 512^2): OccluNet1 <= 1.3x
YOLOX-S per target frame.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from occlunet.benchmark import (
    add_common_args,
    autocast,
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
    yolox_s_cfg,
)

REPO = Path(__file__).resolve().parents[2]

GOAL_RATIO = 1.3
BOX = (0.4, 0.4, 0.6, 0.6)  # the target box, as fractions of the input


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--config', default=str(REPO / 'configs' / 'occlunet1_dsa.py'))
    parser.add_argument('--size', type=int, default=512, help='input size')
    parser.add_argument('--batch', type=int, default=4, help='target frames per step')
    parser.add_argument('--clip-targets', type=int, default=4, help='targets per clip (divides --batch)')
    parser.add_argument('--channels-last', action='store_true', help='NHWC weights and inputs')
    add_common_args(parser, repeats=5, warmup=1)
    args = parser.parse_args(argv)
    check_common_args(parser, args)
    if args.size < 32 or args.size % 32 or args.batch < 1 or args.clip_targets < 1:
        parser.error('--size must be a positive multiple of 32, --batch and --clip-targets >= 1')
    if args.batch % args.clip_targets:
        parser.error('--clip-targets must divide --batch')
    return args


def gt(size: int, num: int = 1) -> object:
    from mmengine.structures import InstanceData

    box = torch.tensor([BOX], dtype=torch.float32) * size
    return InstanceData(bboxes=box.repeat(num, 1), labels=torch.zeros(num, dtype=torch.long))


def yolox_batch(args: argparse.Namespace) -> dict:
    from mmdet.structures import DetDataSample

    size = args.size
    inputs, samples = [], []
    for _ in range(args.batch):
        inputs.append(torch.rand(3, size, size) * 255)
        sample = DetDataSample(metainfo={'img_shape': (size, size), 'ori_shape': (size, size)})
        sample.gt_instances = gt(size)
        samples.append(sample)
    return {'inputs': inputs, 'data_samples': samples}


def window_batch(args: argparse.Namespace, num_frames: int, channels: int) -> dict:
    from mmdet.structures import DetDataSample

    size = args.size
    inputs, samples = [], []
    for i in range(args.batch):
        inputs.append(torch.rand(num_frames, channels, size, size))
        meta = {
            'img_shape': (size, size),
            'ori_shape': (size, size),
            'frame_id': i,
            'scale_factor': (1.0, 1.0),
        }
        sample = DetDataSample(metainfo=meta)
        sample.gt_instances = gt(size)
        samples.append(sample)
    return {'inputs': inputs, 'data_samples': samples}


def clip_batch(args: argparse.Namespace, num_frames: int, channels: int) -> dict:
    from mmdet.structures import DetDataSample

    size, k = args.size, args.clip_targets
    inputs, samples = [], []
    for _ in range(args.batch // k):
        inputs.append(torch.rand(k + num_frames - 1, channels, size, size))
        meta = {
            'img_shape': (size, size),
            'ori_shape': (size, size),
            'frame_id': None,
            'target_frame_ids': list(range(k)),
            'scale_factor': (1.0, 1.0),
        }
        sample = DetDataSample(metainfo=meta)
        instances = gt(size, k)
        instances.target_index = torch.arange(k)
        sample.gt_instances = instances
        samples.append(sample)
    return {'inputs': inputs, 'data_samples': samples}


def main(argv: list[str] | None = None) -> int:
    from mmengine.optim import build_optim_wrapper

    args = parse_args(argv)
    device = setup(args)
    cfg = load_config(args.config)
    models, batches = {}, {}
    torch.manual_seed(0)
    models['yolox_s'] = build_model(yolox_s_cfg(cfg.model))
    batches['yolox_s'] = yolox_batch(args)
    occlunet = build_model(cfg.model)
    t, c = occlunet.num_frames, occlunet.backbone.in_frames
    models['occlunet1_windows'] = occlunet
    batches['occlunet1_windows'] = window_batch(args, t, c)
    skipped = {}
    if hasattr(occlunet, 'clip_features'):
        models['occlunet1_clip'] = occlunet
        batches['occlunet1_clip'] = clip_batch(args, t, c)
    else:
        skipped['occlunet1_clip'] = 'this OccluNet has no clip training (clip_features)'
    optims = {}
    for model in models.values():
        model.to(device).train()
        if args.channels_last:
            model.to(memory_format=torch.channels_last)
        if id(model) not in optims:
            optims[id(model)] = build_optim_wrapper(model, cfg.optim_wrapper)

    def step(name: str) -> object:
        model = models[name]
        with autocast(device, args.amp):
            return model.train_step(batches[name], optims[id(model)])

    log(f'{len(models)} variants, {args.batch} target frames per step, {args.size}^2')
    times = time_interleaved(
        {name: (lambda n=name: step(n)) for name in models}, args.repeats, args.warmup, device, progress=log
    )
    results = {}
    for name, samples in times.items():
        per_step = summary(samples)
        results[name] = {
            's_per_step': per_step,
            'target_frames_per_step': args.batch,
            's_per_target_frame': per_step['median'] / args.batch,
        }
    base = results['yolox_s']['s_per_target_frame']
    for row in results.values():
        row['x_yolox_s'] = row['s_per_target_frame'] / base
    print(
        f'\n## Training, {args.size}x{args.size}, {args.batch} target frames per step, '
        f'{args.threads} threads, {device}, amp {args.amp}, channels_last {args.channels_last}\n'
    )
    print(
        format_table(
            ['variant', 's/step median [IQR]', 's per target frame', 'x YOLOX-S'],
            [
                [name, spread(r['s_per_step'], 2), fmt(r['s_per_target_frame'], 3), fmt(r['x_yolox_s'])]
                for name, r in results.items()
            ],
        )
    )
    goals = [
        goal(
            f'{name} training per target frame / YOLOX-S ({args.size}^2)',
            results[name]['x_yolox_s'],
            GOAL_RATIO,
        )
        for name in ('occlunet1_windows', 'occlunet1_clip')
        if name in results
    ]
    print('\n## Goals\n')
    print(goals_table(goals))
    for name, reason in skipped.items():
        print(f'skipped {name}: {reason}')
    write_json(
        args.out,
        {
            'benchmark': 'train',
            'machine': machine_info(device, args.threads),
            'settings': {
                'config': str(args.config),
                'size': args.size,
                'batch': args.batch,
                'clip_targets': args.clip_targets,
                'repeats': args.repeats,
                'warmup': args.warmup,
                'amp': args.amp,
                'channels_last': args.channels_last,
            },
            'results': results,
            'goals': goals,
            'skipped': skipped,
        },
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
