"""The command-line flags every benchmark in tools/benchmark shares, and the run they set up."""

from __future__ import annotations

import argparse

import torch


def add_common_args(parser: argparse.ArgumentParser, repeats: int = 5, warmup: int = 1) -> None:
    parser.add_argument('--repeats', type=int, default=repeats, help='timed repeats per variant')
    parser.add_argument('--warmup', type=int, default=warmup, help='untimed calls per variant first')
    parser.add_argument('--threads', type=int, default=None, help='torch intra-op threads (default: torch)')
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda' ('cuda:1', ...)")
    parser.add_argument(
        '--amp', choices=('none', 'bf16'), default='none', help='bf16: torch.autocast around the models'
    )
    parser.add_argument('--out', default=None, help='write the results as JSON here')


def check_common_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.repeats < 1 or args.warmup < 0:
        parser.error('--repeats must be >= 1 and --warmup >= 0')
    if args.threads is not None and args.threads < 1:
        parser.error('--threads must be >= 1')
    if torch.device(args.device).type == 'cuda' and not torch.cuda.is_available():
        parser.error(f'--device {args.device}: this torch has no CUDA device')


def setup(args: argparse.Namespace) -> torch.device:
    """Thread count and device of a run."""
    quiet_mmengine()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    args.threads = torch.get_num_threads()
    device = torch.device(args.device)
    if device.type == 'cuda':
        torch.backends.cudnn.benchmark = True
    return device


def quiet_mmengine() -> None:
    """Only warnings from mmengine's logger (not every optimizer parameter group and init step)."""
    import logging

    from mmengine.logging import MMLogger

    MMLogger.get_instance('mmengine').setLevel(logging.WARNING)
