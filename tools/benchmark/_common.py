"""What the benchmarks in tools/benchmark share: interleaved timing, statistics, tables, JSON, devices,
model building, FLOP counting, the matmul peak and synthetic DICOM runs.

Timing protocol (every benchmark): all variants live in one process; each is warmed up, then the repeats
alternate between the variants (the order rotated every round), so a slow spell of a shared machine hits
all of them alike. Reported: the median and the interquartile range (IQR) and minimum of the repeats.
On CUDA the device is synchronised around every timed call.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, ConfigDict  # noqa: E402
from torch import Tensor, nn  # noqa: E402

GIB = 1024**3
MATMUL_SIZES = (2048, 4096)  # the matmul peak: the best of these square sizes


# -- command line ------------------------------------------------------------------------------------
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


def autocast(device: torch.device, amp: str) -> contextlib.AbstractContextManager:
    """``torch.autocast`` to bfloat16 for ``amp='bf16'``, else nothing."""
    if amp == 'bf16':
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


# -- timing and statistics ---------------------------------------------------------------------------
def time_interleaved(
    variants: dict[str, Callable[[], object]],
    repeats: int,
    warmup: int,
    device: torch.device,
    progress: Callable[[str], None] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call of each variant: warm-up, then ``repeats`` rounds over all variants (rotated)."""
    names = list(variants)
    for name in names:
        for _ in range(warmup):
            variants[name]()
        synchronize(device)
        if progress:
            progress(f'warmed up {name}')
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            synchronize(device)
            start = time.perf_counter()
            variants[name]()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
        if progress:
            progress(f'round {r + 1}/{repeats}')
    return times


def summary(samples: Sequence[float], scale: float = 1.0) -> dict:
    """median, q1, q3 (quartiles), min, max and n of ``samples`` times ``scale``."""
    values = np.asarray(samples, dtype=np.float64) * scale
    q1, median, q3 = (float(v) for v in np.percentile(values, (25, 50, 75)))
    return {
        'median': median,
        'q1': q1,
        'q3': q3,
        'min': float(values.min()),
        'max': float(values.max()),
        'n': int(values.size),
    }


def spread(stats: dict, digits: int = 1) -> str:
    """``median [q1-q3]`` of a :func:`summary`."""
    return f'{stats["median"]:.{digits}f} [{stats["q1"]:.{digits}f}-{stats["q3"]:.{digits}f}]'


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (pads columns so it also reads as plain text)."""
    cells = [[str(h) for h in headers]] + [['' if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return '| ' + ' | '.join(v.ljust(w) for v, w in zip(row, widths)) + ' |'

    rule = '|' + '|'.join('-' * (w + 2) for w in widths) + '|'
    return '\n'.join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def fmt(value: float | None, digits: int = 2) -> str | None:
    return None if value is None else f'{value:.{digits}f}'


def goal(name: str, value: float | None, target: float, higher_is_better: bool = False) -> dict:
    """A goal entry: ``met`` is None when the value was not measured."""
    met = None if value is None else (value >= target if higher_is_better else value <= target)
    return {'goal': name, 'value': value, 'target': target, 'higher_is_better': higher_is_better, 'met': met}


def goals_table(goals: Sequence[dict]) -> str:
    rows = []
    for g in goals:
        sign = '>=' if g['higher_is_better'] else '<='
        verdict = 'not measured' if g['met'] is None else ('met' if g['met'] else 'MISSED')
        rows.append([g['goal'], fmt(g['value'], 3), f'{sign} {g["target"]}', verdict])
    return format_table(['goal', 'measured', 'target', 'verdict'], rows)


def machine_info(device: torch.device, threads: int) -> dict:
    info = {
        'cpu': _cpu_name(),
        'logical_cpus': os.cpu_count(),
        'torch_threads': threads,
        'torch': torch.__version__,
        'python': platform.python_version(),
        'device': str(device),
    }
    if device.type == 'cuda':
        info['gpu'] = torch.cuda.get_device_name(device)
    return info


def _cpu_name() -> str:
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def write_json(path: str | os.PathLike | None, document: dict) -> None:
    if path is None:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w') as handle:
        json.dump(document, handle, indent=2, allow_nan=False)
    print(f'wrote {path}')


def quiet_mmengine() -> None:
    """Only warnings from mmengine's logger (not every optimizer parameter group and init step)."""
    import logging

    from mmengine.logging import MMLogger

    MMLogger.get_instance('mmengine').setLevel(logging.WARNING)


def log(message: str) -> None:
    print(f'[{time.strftime("%H:%M:%S")}] {message}', file=sys.stderr, flush=True)


# -- the machine's matmul peak -----------------------------------------------------------------------
def matmul_peak_gflops(
    device: torch.device, amp: str = 'none', sizes: Sequence[int] = MATMUL_SIZES, repeats: int = 3
) -> float:
    """The best GFLOP/s (2 n^3 per product) of large square ``torch.matmul``s with the current threads, in
    float32 (bfloat16 with ``amp='bf16'``): the peak a model's FLOPs are measured against."""
    dtype = torch.bfloat16 if amp == 'bf16' else torch.float32
    best = 0.0
    for n in sizes:
        a = torch.randn(n, n, device=device, dtype=dtype)
        b = torch.randn(n, n, device=device, dtype=dtype)
        torch.matmul(a, b)
        for _ in range(repeats):
            synchronize(device)
            start = time.perf_counter()
            torch.matmul(a, b)
            synchronize(device)
            best = max(best, 2 * n**3 / (time.perf_counter() - start) / 1e9)
    return best


# -- FLOPs -------------------------------------------------------------------------------------------
class _Call(nn.Module):
    """A module whose forward is ``fn`` (FlopAnalyzer traces modules)."""

    def __init__(self, fn: Callable[..., object], owner: nn.Module) -> None:
        super().__init__()
        self.owner = owner
        self.fn = fn

    def forward(self, *inputs: Tensor) -> object:
        return self.fn(*inputs)


def _sdpa_macs(inputs: list, outputs: list) -> int:
    """Multiply-adds of ``aten::scaled_dot_product_attention``: Q K^T and the weighted sum of V."""
    from mmengine.analysis.jit_handles import get_shape

    q, k = get_shape(inputs[0]), get_shape(inputs[1])
    batch = int(np.prod(q[:-2]))
    return 2 * batch * q[-2] * k[-2] * q[-1]


def count_macs(fn: Callable[..., object], owner: nn.Module, inputs: tuple[Tensor, ...]) -> int:
    """Multiply-accumulates of ``fn(*inputs)`` (convolutions, linear layers, matmuls, attention) counted
    with mmengine's ``FlopAnalyzer`` (which reports one multiply-add as one "flop")."""
    from mmengine.analysis import FlopAnalyzer

    with torch.enable_grad():  # traced modules (fuse_for_inference) run eagerly: every op is counted
        analyzer = FlopAnalyzer(_Call(fn, owner), inputs)
        analyzer.set_op_handle('aten::scaled_dot_product_attention', _sdpa_macs)
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        analyzer.tracer_warnings('none')
        return int(analyzer.total())


# -- models ------------------------------------------------------------------------------------------
def load_config(path: str | os.PathLike, options: dict | None = None) -> Config:
    cfg = Config.fromfile(str(path))
    if options:
        cfg.merge_from_dict(options)
    return cfg


def build_model(model_cfg: dict) -> nn.Module:
    """A model from a config dict through mmdet's registry (``import occlunet`` registers ours)."""
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope

    import occlunet  # noqa: F401

    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(model_cfg)


def yolox_s_cfg(occlunet_model: dict) -> dict:
    """Plain mmdet YOLOX on single 3-channel images with the widths, depths, neck, head and test settings
    of an OccluNet model config (YOLOX-S for ``configs/occlunet1_dsa.py``)."""
    backbone = {
        k: v for k, v in occlunet_model['backbone'].items() if k not in ('type', 'in_frames', 'init_cfg')
    }
    backbone.pop('pretrained_in_channels', None)
    return dict(
        type='YOLOX',
        data_preprocessor=dict(type='DetDataPreprocessor', pad_size_divisor=32),
        backbone=dict(type='CSPDarknet', **backbone),
        neck=dict(occlunet_model['neck']),
        bbox_head=dict(occlunet_model['bbox_head']),
        train_cfg=ConfigDict(occlunet_model.get('train_cfg') or {}),  # mmdet's heads read attributes
        test_cfg=ConfigDict(occlunet_model['test_cfg']),
    )


def head_scores(head: nn.Module, feats: tuple[Tensor, ...]) -> Tensor:
    """All pre-NMS detection scores (sigmoid(cls) * sigmoid(obj), best class) of a YOLOX head."""
    cls, _, obj = head(feats)
    scores = [
        (c.sigmoid().amax(dim=1) * o.sigmoid()[:, 0]).flatten() for c, o in zip(cls, obj)
    ]  # per level (N*H*W,)
    return torch.cat(scores).float()


def candidate_threshold(scores: Tensor, candidates: int) -> float:
    """The score threshold that lets about ``candidates`` boxes of one image into NMS."""
    k = min(candidates, scores.numel())
    return float(scores.topk(k).values[-1])


# -- synthetic DICOM runs ----------------------------------------------------------------------------
def write_synthetic_run(
    folder: str | os.PathLike, size: int, frames: int, compress: str = 'none', seed: int = 0
) -> tuple[Path, dict]:
    """One occluded study (``occlunet.synth``) of ``frames`` frames at ``size``^2; the PA file and the
    generator's summary (seconds, frames per second over both views)."""
    from occlunet.synth import generate_dataset

    summary_ = generate_dataset(
        folder,
        1,
        size=size,
        seed=seed,
        progress=False,
        frames_min=frames,
        frames_max=frames,
        occlusion_fraction=1.0,
        compress=compress,
    )
    return Path(folder) / 'dicom' / 'S0000_PA.dcm', summary_


@contextlib.contextmanager
def inference(device: torch.device, amp: str) -> Iterator[None]:
    """``torch.inference_mode`` and the autocast of the run."""
    with torch.inference_mode(), autocast(device, amp):
        yield
