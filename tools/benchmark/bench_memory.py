"""Peak memory (RSS) of tools/infer.py on a long, large DSA run: streaming vs whole-sequence inference.

python tools/benchmark/bench_memory.py [--config configs/occlunet1_dsa.py] [--size 1024] [--frames 76]
    [--dicom RUN.dcm] [--modes stream stream_no_gif offline] [--device cpu] [--out results.json]

Writes a synthetic run (``occlunet.synth``, ``--frames`` frames of ``--size``^2; the paper's longest runs
have 76 frames of 1024^2) unless ``--dicom`` is given, and a checkpoint of the config's randomly
initialised model, then runs ``tools/infer.py CONFIG CKPT RUN`` once per mode in a fresh process and reads
the peak resident set size of that process (``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of a wrapper process
that only waits for it). Modes: ``stream`` (the default infer.py: frame by frame, GIF written),
``stream_no_gif`` (``--no-gif``), ``offline`` (``--no-stream``: the whole sequence at once, GIF written).
Goal: <= 2 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from occlunet.benchmark import (
    GIB,
    build_model,
    fmt,
    format_table,
    goal,
    goals_table,
    load_config,
    log,
    machine_info,
    quiet_mmengine,
    write_json,
    write_synthetic_run,
)

REPO = Path(__file__).resolve().parents[2]

MODES = {
    'stream': [],
    'stream_no_gif': ['--no-gif'],
    'offline': ['--no-stream'],
}
GOAL_GIB = 2.0
# Runs argv[3:] with stdout/stderr to the file argv[1], then prints its exit code, peak RSS (KiB on
# Linux) and wall time as JSON: the wrapper's RUSAGE_CHILDREN covers exactly that one child.
WRAPPER = """
import json, resource, subprocess, sys, time
with open(sys.argv[1], 'w') as log:
    start = time.perf_counter()
    code = subprocess.run(sys.argv[2:], stdout=log, stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({'returncode': code, 'maxrss_kib': usage.ru_maxrss, 'seconds': seconds}))
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--config', default=str(REPO / 'configs' / 'occlunet1_dsa.py'))
    parser.add_argument('--size', type=int, default=1024, help='frame size of the synthetic run')
    parser.add_argument('--frames', type=int, default=76, help='frames of the synthetic run')
    parser.add_argument('--dicom', default=None, help='measure on this file instead')
    parser.add_argument('--modes', nargs='+', choices=list(MODES), default=list(MODES))
    parser.add_argument('--threads', type=int, default=None, help='OMP_NUM_THREADS of infer.py')
    parser.add_argument('--device', default='cpu', help="infer.py's --device (host RSS is measured)")
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE', help='for infer.py')
    parser.add_argument('--out', default=None, help='write the results as JSON here')
    args = parser.parse_args(argv)
    if args.frames < 1 or args.size < 32:
        parser.error('--frames must be >= 1 and --size >= 32')
    return args


def peak_rss(cmd: list[str], log_file: Path, env: dict[str, str]) -> dict:
    """Peak RSS (bytes), exit code and seconds of ``cmd`` run in a fresh process."""
    out = subprocess.run(
        [sys.executable, '-c', WRAPPER, str(log_file), *cmd],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        'returncode': result['returncode'],
        'peak_rss_bytes': result['maxrss_kib'] * 1024,
        'seconds': result['seconds'],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_mmengine()
    env = {**os.environ, 'PYTHONPATH': f'{REPO}{os.pathsep}{os.environ.get("PYTHONPATH", "")}'}
    if args.threads is not None:
        env['OMP_NUM_THREADS'] = str(args.threads)
    results = {}
    with tempfile.TemporaryDirectory(prefix='bench_memory_') as tmp:
        tmp = Path(tmp)
        if args.dicom is None:
            log(f'writing a {args.frames}-frame {args.size}^2 synthetic run')
            dicom, _ = write_synthetic_run(tmp / 'data', args.size, args.frames)
        else:
            dicom = Path(args.dicom)
        cfg = load_config(args.config)
        torch.manual_seed(0)
        ckpt = tmp / 'random.pth'
        torch.save({'state_dict': build_model(cfg.model).state_dict(), 'meta': {}}, ckpt)
        options = ['--cfg-options', *args.cfg_options] if args.cfg_options else []
        for mode in args.modes:
            log(f'tools/infer.py, {mode}')
            cmd = [sys.executable, str(REPO / 'tools' / 'infer.py'), str(args.config), str(ckpt), str(dicom)]
            cmd += ['--out-dir', str(tmp / f'out_{mode}'), '--device', args.device, *MODES[mode], *options]
            results[mode] = peak_rss(cmd, tmp / f'{mode}.log', env)
            if results[mode]['returncode'] != 0:
                print((tmp / f'{mode}.log').read_text()[-4000:], file=sys.stderr)
                raise SystemExit(f'bench_memory: tools/infer.py ({mode}) failed')
        size_mb = dicom.stat().st_size / 1e6
    print(f'\n## Peak RSS of tools/infer.py ({Path(args.config).name}, {dicom.name}: {size_mb:.0f} MB)\n')
    rows = [[mode, f'{r["peak_rss_bytes"] / GIB:.2f}', fmt(r['seconds'], 1)] for mode, r in results.items()]
    print(format_table(['mode', 'peak RSS GiB', 'wall s'], rows))
    goals = [
        goal(f'peak RSS of tools/infer.py ({mode}), GiB', r['peak_rss_bytes'] / GIB, GOAL_GIB)
        for mode, r in results.items()
        if mode.startswith('stream')
    ]
    print('\n## Goals\n')
    print(goals_table(goals))
    write_json(
        args.out,
        {
            'benchmark': 'memory',
            'machine': machine_info(torch.device('cpu'), torch.get_num_threads()),
            'settings': {
                'config': str(args.config),
                'dicom': None if args.dicom is None else str(args.dicom),
                'size': args.size,
                'frames': args.frames,
                'dicom_bytes': int(size_mb * 1e6),
                'modes': args.modes,
                'device': args.device,
                'measured_at': time.strftime('%Y-%m-%d %H:%M:%S'),
            },
            'results': results,
            'goals': goals,
        },
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
