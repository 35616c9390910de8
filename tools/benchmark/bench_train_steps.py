"""Where a training step of a real config goes: data, backbone + PAFPN, temporal module, head + SimOTA,
backward, optimizer; target frames per second and per minute; achieved share of the FLOP floor.

python tools/benchmark/bench_train_steps.py CONFIG [CONFIG ...] [--data-root DIR] [--steps 20] [--warmup 3]
    [--threads N] [--seed 0] [--cfg-options key=value ...] [--out results.json]

Each config's own training dataset (pixels, or a feature cache for the stage-2 configs: set
``train_dataloader.dataset.cache_dir`` and ``load_from``), batch size, model and optimizer, on this machine's
CPU threads, ``--steps`` timed steps after ``--warmup``. The components are timed by wrapping the model's
methods (``frame_features`` / ``cached_frame_features``, ``temporal_neck.forward_index`` / ``forward``,
``bbox_head.loss``), the rest of a step as ``data`` (dataset + collate), ``preprocess``, ``backward`` and
``optimizer``. The FLOP floor is the step's forward + backward FLOPs (``torch.utils.flop_counter``) at this
machine's float32 matmul peak; ``achieved / floor`` = floor time / measured time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable

import torch
from mmdet.registry import DATASETS, MODELS
from mmengine.config import DictAction
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from torch.utils.flop_counter import FlopCounterMode

import occlunet  # noqa: F401  (registers modules and the weights-only checkpoint loader)
from occlunet.benchmark import matmul_peak_gflops
from occlunet.engine import load_tool_config

COMPONENTS = ('data', 'preprocess', 'spatial', 'temporal', 'head+assign', 'backward', 'optimizer')


class Timers:
    """Accumulates seconds per component within one step."""

    def __init__(self) -> None:
        self.step: dict[str, float] = defaultdict(float)

    def wrap(self, owner: object, name: str, component: str) -> None:
        original: Callable = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            out = original(*args, **kwargs)
            self.step[component] += time.perf_counter() - start
            return out

        setattr(owner, name, timed)


def profile_config(config: str, args: argparse.Namespace) -> dict:
    cfg = load_tool_config(config, data_root=args.data_root, cfg_options=args.cfg_options)
    torch.manual_seed(args.seed)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
        model = MODELS.build(cfg.model)
    if cfg.get('load_from'):
        load_checkpoint(model, cfg.load_from, map_location='cpu', strict=False, logger='silent')
    model.train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    timers = Timers()
    heads = model.bbox_head
    timers.wrap(model, 'frame_features', 'spatial')
    if hasattr(model, 'cached_frame_features'):
        timers.wrap(model, 'cached_frame_features', 'spatial')
    if hasattr(model, 'temporal_neck'):
        timers.wrap(model.temporal_neck, 'forward_index', 'temporal')
        timers.wrap(model.temporal_neck, 'forward', 'temporal')
    timers.wrap(heads, 'loss', 'head+assign')
    batch_size = cfg.train_dataloader.batch_size
    generator = torch.Generator().manual_seed(args.seed)
    steps, targets, flops = [], [], None
    for index in range(args.warmup + args.steps):
        timers.step.clear()
        start = time.perf_counter()
        picks = torch.randint(len(dataset), (batch_size,), generator=generator).tolist()
        data = pseudo_collate([dataset[i] for i in picks])
        timers.step['data'] = time.perf_counter() - start
        t0 = time.perf_counter()
        data = model.data_preprocessor(data, True)
        timers.step['preprocess'] = time.perf_counter() - t0
        counter = FlopCounterMode(display=False) if flops is None and index == args.warmup else None
        with counter or contextlib.nullcontext():
            losses = model.loss(data['inputs'], data['data_samples'])
            loss, _ = model.parse_losses(losses)
            t0 = time.perf_counter()
            optim.backward(loss)
            timers.step['backward'] = time.perf_counter() - t0
        if counter is not None:
            flops = counter.get_total_flops()
        t0 = time.perf_counter()
        optim.step()
        optim.zero_grad()
        timers.step['optimizer'] = time.perf_counter() - t0
        total = time.perf_counter() - start
        if index >= args.warmup:
            steps.append({**{c: timers.step.get(c, 0.0) for c in COMPONENTS}, 'total': total})
            metas = [s.metainfo for s in data['data_samples']]
            targets.append(sum(len(m.get('target_frame_ids') or [0]) for m in metas))
    total = statistics.median(s['total'] for s in steps)
    per_component = {c: statistics.median(s[c] for s in steps) for c in COMPONENTS}
    frames_per_s = statistics.median(t / s['total'] for t, s in zip(targets, steps))
    peak = matmul_peak_gflops(torch.device('cpu'))
    floor = flops / (peak * 1e9) if flops else None
    return {
        'config': config,
        'threads': torch.get_num_threads(),
        'batch_size': batch_size,
        'target_frames_per_step': statistics.median(targets),
        'step_s': total,
        'components_s': per_component,
        'other_s': max(total - sum(per_component.values()), 0.0),
        'target_frames_per_s': frames_per_s,
        'target_frames_per_min': 60 * frames_per_s,
        'gflop_per_step': None if flops is None else flops / 1e9,
        'matmul_peak_gflops': peak,
        'achieved_over_floor': None if floor is None else floor / total,
    }


def markdown(rows: list[dict]) -> str:
    head = ['config', 'step ms', *COMPONENTS, 'targets/step', 'targets/min', 'GFLOP/step', 'floor/achieved']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for r in rows:
        parts = [
            f'{1000 * r["components_s"][c]:.0f} ({100 * r["components_s"][c] / r["step_s"]:.0f} %)'
            for c in COMPONENTS
        ]
        flop = '—' if r['gflop_per_step'] is None else f'{r["gflop_per_step"]:.1f}'
        ratio = '—' if r['achieved_over_floor'] is None else f'{r["achieved_over_floor"]:.2f}'
        lines.append(
            f'| {r["config"]} | {1000 * r["step_s"]:.0f} | '
            + ' | '.join(parts)
            + f' | {r["target_frames_per_step"]:.0f} | {r["target_frames_per_min"]:.0f} | {flop} | {ratio} |'
        )
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--data-root')
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--threads', type=int, help='torch threads (default: torch default)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--out', help='JSON file of the results')
    args = parser.parse_args()
    if args.steps < 1 or args.warmup < 1:
        parser.error('--steps and --warmup must be >= 1')
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = [profile_config(config, args) for config in args.configs]
    print(markdown(rows))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=1)


if __name__ == '__main__':
    main()
