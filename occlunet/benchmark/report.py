"""What the benchmarks print and write: Markdown tables, goals, the machine, the JSON document, progress."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

GIB = 1024**3


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


def log(message: str) -> None:
    print(f'[{time.strftime("%H:%M:%S")}] {message}', file=sys.stderr, flush=True)
