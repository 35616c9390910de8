"""How the benchmarks time: interleaved repeats, their statistics and the machine's matmul peak.

Timing protocol (every benchmark): all variants live in one process; each is warmed up, then the repeats
alternate between the variants (the order rotated every round), so a slow spell of a shared machine hits
all of them alike. Reported: the median and the interquartile range (IQR) and minimum of the repeats.
On CUDA the device is synchronised around every timed call.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch

MATMUL_SIZES = (2048, 4096)  # the matmul peak: the best of these square sizes


def autocast(device: torch.device, amp: str) -> contextlib.AbstractContextManager:
    """``torch.autocast`` to bfloat16 for ``amp='bf16'``, else nothing."""
    if amp == 'bf16':
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


@contextlib.contextmanager
def inference(device: torch.device, amp: str) -> Iterator[None]:
    """``torch.inference_mode`` and the autocast of the run."""
    with torch.inference_mode(), autocast(device, amp):
        yield


def synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


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
