"""Test a checkpoint (mmdet's tools/test.py, with CPU DDP and safe checkpoints).

python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE] [--show-dir DIR]
    [--time-order forward|reverse|shuffle [--time-seed N]] [--cfg-options key=value ...]
    [--launcher none|pytorch]

--show-dir DIR: for whole-sequence OccluNet configs, DIR/<video_id>_<name>.gif (detections, best track,
GT) and DIR/<video_id>_<name>_minip.png per test sequence (SequenceVisualizationHook); for other configs
mmdet's DetVisualizationHook (under WORK_DIR/<timestamp>/DIR).

--time-order reverse|shuffle: does the model use time? Every test sequence is played backwards, or in a
shuffled order (seeded per sequence by --time-seed and its file name, so reruns agree), before it is
resized and stacked (ReorderFrames right after LoadDSASequence); the --out JSON records the order under
settings.time_order / settings.time_seed. The MinIP baseline is invariant to the order by construction.
"""

from __future__ import annotations

import argparse
import os

from mmengine.config import Config, ConfigDict, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import occlunet  # noqa: F401  (registers modules and the weights-only checkpoint loader)
from occlunet.datasets.transforms import TIME_ORDERS
from occlunet.engine import (
    init_cpu_distributed,
    is_cpu_only,
    load_tool_config,
    metric_accepts,
    set_time_order,
)
from occlunet.engine.hooks import add_sequence_visualization, is_sequence_test_config


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) an occlunet model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the evaluation metrics')
    parser.add_argument(
        '--out', help='dump predictions to a file (.pkl, or .json where the metric writes one)'
    )
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir', help='directory where painted predictions are saved')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--time-order',
        choices=TIME_ORDERS,
        help='test-time ablation: play every test sequence in this frame order (default: as recorded)',
    )
    parser.add_argument(
        '--time-seed', type=int, default=0, help='seed of the per-sequence shuffles of --time-order shuffle'
    )
    parser.add_argument('--data-root', help="dataset root for every dataloader (default: the config's)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def enable_visualization(cfg: Config, args: argparse.Namespace) -> None:
    """Turn on the config's visualization hook for ``--show``/``--show-dir``, as mmdet does."""
    hooks = cfg.default_hooks
    if 'visualization' not in hooks:
        raise RuntimeError('--show/--show-dir need a "visualization" hook in default_hooks of the config')
    hooks.visualization.draw = True
    if args.show:
        hooks.visualization.show = True
        hooks.visualization.wait_time = args.wait_time
    if args.show_dir:
        hooks.visualization.test_out_dir = args.show_dir


def add_dump(cfg: Config, out: str) -> None:
    """Dump predictions to ``out``: a metric with an ``out_file`` option writes it, else a pickle."""
    evaluator = cfg.test_evaluator
    metrics = evaluator if isinstance(evaluator, list) else [evaluator]
    for metric in metrics:
        if metric_accepts(metric, 'out_file'):
            metric['out_file'] = out
            return
    if not out.endswith(('.pkl', '.pickle')):
        raise ValueError(f"--out {out}: this config's metric writes no JSON; use a .pkl or .pickle file")
    dump = ConfigDict(type='DumpDetResults', out_file_path=out)
    cfg.test_evaluator = [*metrics, dump]


def main() -> None:
    args = parse_args()
    cfg = load_tool_config(args.config, args.launcher, args.data_root, args.cfg_options, args.work_dir)
    cfg.load_from = args.checkpoint
    if args.time_order is not None:
        set_time_order(cfg, args.time_order, args.time_seed)
    sequence_config = is_sequence_test_config(cfg)
    if args.show and sequence_config:
        # DetVisualizationHook reads img_path as an image; a DICOM sequence has no window to show it in
        raise SystemExit(
            f'--show is not supported for whole-sequence DSA configs ({args.config}); use --show-dir'
        )
    if args.show_dir and sequence_config:
        # whole DSA sequences: GIF + MinIP PNG per sequence; DetVisualizationHook cannot read DICOMs
        add_sequence_visualization(cfg, args.show_dir)
    elif args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.out is not None:
        add_dump(cfg, args.out)
    if args.launcher == 'pytorch' and is_cpu_only():
        init_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.test()


if __name__ == '__main__':
    main()
