"""Inference speed per frame: OccluNet streaming vs plain YOLOX-S, window recomputation, the baselines.

python tools/benchmark/bench_inference.py [--sizes 256 512] [--frames 20] [--repeats 5] [--threads N]
    [--device cpu|cuda] [--amp bf16] [--candidates 100] [--no-fuse] [--variants ...] [--out results.json]

One synthetic run of ``--frames`` frames per size (``occlunet.synth``, frames of size x size, so the
pipeline's resize is a no-op), random weights (speed does not depend on them), every variant in one process,
interleaved (see occlunet/benchmark/timing.py). The score threshold of each model is set so that about
``--candidates`` boxes per frame enter NMS and up to ``max_per_img`` (20) reach the linker (an untrained
head's scores are all about 1e-4: at the configs' 0.01 NMS and linking would cost nothing).

Variants (milliseconds per frame = time for the run / frames):
    yolox_s              mmdet YOLOX (CSPDarknet of the OccluNet config's widths, 3-channel frames), frame
                         by frame: backbone, PAFPN, head, NMS.
    occlunet1_stream     SequenceInferencer reset / push / finish: intensity range, per-frame pipeline,
                         backbone + PAFPN once per frame, temporal module on the ring buffer, head, NMS,
                         linking.
    occlunet1_recompute  the published way: for every frame the backbone + PAFPN on all T = 3 stacks of its
                         window, then temporal module, head, NMS; linking.
    occlunet1_sequence   SequenceInferencer.predict: the whole sequence at once (cached features).
    occlunet2_stream     as occlunet1_stream with divided space-time attention.
    minip_sequence       the MinIP baseline (one YOLOX-S image per sequence) per sequence / frames.
    gru_classifier       ResNet-18 + GRU sequence classifier per sequence / frames.
    occlunet1_dicom      end to end from the DICOM file: decode + predict_stream.

FLOPs: multiply-adds (mmengine FlopAnalyzer, attention included) x 2 per frame; the FLOP floor is FLOPs /
the machine's fp32 (bf16 with --amp bf16) matmul peak measured in the same run with the same threads, and
"x floor" = measured time / floor. Models are prepared with ``fuse_for_inference`` (as SequenceInferencer
does) unless ``--no-fuse``; ``--no-trace`` leaves out its TorchScript trace of backbone and neck.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from occlunet.benchmark import (
    MATMUL_SIZES,
    InferenceBench,
    add_common_args,
    check_common_args,
    fmt,
    format_table,
    goal,
    goals_table,
    log,
    machine_info,
    matmul_peak_gflops,
    setup,
    spread,
    summary,
    time_interleaved,
    write_json,
)

REPO = Path(__file__).resolve().parents[2]
CONFIGS = {
    'occlunet1': REPO / 'configs' / 'occlunet1_dsa.py',
    'occlunet2': REPO / 'configs' / 'occlunet2_dsa.py',
    'minip': REPO / 'configs' / 'yolox_s_minip_dsa.py',
    'classifier': REPO / 'configs' / 'classifier' / 'gru_resnet18_dsa.py',
}
VARIANTS = (
    'yolox_s',
    'occlunet1_stream',
    'occlunet1_recompute',
    'occlunet1_sequence',
    'occlunet2_stream',
    'minip_sequence',
    'gru_classifier',
    'occlunet1_dicom',
)
# goals on a 2-core CPU at 512^2 (issue 8)
GOAL_SIZE = 512
STREAM_VS_YOLOX = 1.25
STREAM_VS_RECOMPUTE = 0.4
DICOM_FPS = 5.0
FLOOR_FACTOR = 1.6


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--sizes', type=int, nargs='+', default=[256, 512], help='network input sizes')
    parser.add_argument('--frames', type=int, default=20, help='frames of the synthetic run')
    parser.add_argument('--candidates', type=int, default=100, help='boxes per frame entering NMS')
    parser.add_argument('--no-fuse', action='store_true', help='time the models as built (no fusion)')
    parser.add_argument('--no-trace', action='store_true', help='fuse, but run backbone and neck eagerly')
    parser.add_argument(
        '--peak-sizes', type=int, nargs='+', default=list(MATMUL_SIZES), help='square matmuls of the peak'
    )
    parser.add_argument(
        '--variants', nargs='+', choices=VARIANTS, default=list(VARIANTS), help='what to time'
    )
    add_common_args(parser, repeats=5, warmup=1)
    args = parser.parse_args(argv)
    check_common_args(parser, args)
    if args.frames < 1 or args.candidates < 1 or min(args.sizes) < 32:
        parser.error('--frames and --candidates must be >= 1, --sizes >= 32')
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = setup(args)
    log(f'matmul peak ({args.threads} threads, {device}, amp {args.amp})')
    peak = matmul_peak_gflops(device, args.amp, args.peak_sizes)
    log(f'peak {peak:.1f} GFLOP/s')
    results, ratios, flops, thresholds = {}, {}, {}, {}
    with tempfile.TemporaryDirectory(prefix='bench_inference_') as tmp:
        for size in args.sizes:
            log(f'size {size}: synthetic run of {args.frames} frames, models')
            bench = InferenceBench(args, device, size, Path(tmp) / str(size), CONFIGS)
            thresholds[str(size)] = bench.thresholds
            macs = bench.macs_per_frame()
            times = time_interleaved(bench.variants(), args.repeats, args.warmup, device, progress=log)
            rows = {}
            for name, samples in times.items():
                per_frame = summary(samples, 1000.0 / args.frames)  # ms per frame
                gflop = None if macs.get(name) is None else 2 * macs[name] / 1e9
                floor_ms = None if gflop is None else gflop / peak * 1000.0
                rows[name] = {
                    'ms_per_frame': per_frame,
                    'frames_per_s': 1000.0 / per_frame['median'],
                    'gflop_per_frame': gflop,
                    'floor_ms': floor_ms,
                    'x_floor': None if floor_ms is None else per_frame['median'] / floor_ms,
                }
            results[str(size)] = rows
            flops[str(size)] = {k: v for k, v in macs.items() if k in rows}
            med = {name: row['ms_per_frame']['median'] for name, row in rows.items()}
            ratios[str(size)] = {
                key: med[a] / med[b]
                for key, a, b in (
                    ('occlunet1_stream/yolox_s', 'occlunet1_stream', 'yolox_s'),
                    ('occlunet1_stream/occlunet1_recompute', 'occlunet1_stream', 'occlunet1_recompute'),
                    ('occlunet2_stream/yolox_s', 'occlunet2_stream', 'yolox_s'),
                    ('occlunet1_sequence/occlunet1_stream', 'occlunet1_sequence', 'occlunet1_stream'),
                )
                if a in med and b in med
            }
            print(
                f'\n## Inference, {size}x{size}, {args.frames} frames, {args.threads} threads, {device}, '
                f'amp {args.amp}, fused {not args.no_fuse}, traced {not (args.no_fuse or args.no_trace)} '
                f'(matmul peak {peak:.1f} GFLOP/s)\n'
            )
            print(
                format_table(
                    [
                        'variant',
                        'ms/frame median [IQR]',
                        'min',
                        'frames/s',
                        'GFLOP/frame',
                        'floor ms',
                        'x floor',
                    ],
                    [
                        [
                            name,
                            spread(row['ms_per_frame']),
                            fmt(row['ms_per_frame']['min'], 1),
                            fmt(row['frames_per_s']),
                            fmt(row['gflop_per_frame']),
                            fmt(row['floor_ms'], 1),
                            fmt(row['x_floor']),
                        ]
                        for name, row in rows.items()
                    ],
                )
            )
            print()
            print(
                format_table(
                    ['ratio (medians)', 'value'], [[k, fmt(v, 3)] for k, v in ratios[str(size)].items()]
                )
            )

    goals = []
    at = results.get(str(GOAL_SIZE), {})
    rat = ratios.get(str(GOAL_SIZE), {})
    goals.append(
        goal(
            f'OccluNet1 stream / YOLOX-S per frame ({GOAL_SIZE}^2)',
            rat.get('occlunet1_stream/yolox_s'),
            STREAM_VS_YOLOX,
        )
    )
    goals.append(
        goal(
            f'OccluNet1 stream / window recomputation ({GOAL_SIZE}^2)',
            rat.get('occlunet1_stream/occlunet1_recompute'),
            STREAM_VS_RECOMPUTE,
        )
    )
    dicom = at.get('occlunet1_dicom')
    goals.append(
        goal(
            f'OccluNet1 end to end from DICOM, frames/s ({GOAL_SIZE}^2)',
            dicom and dicom['frames_per_s'],
            DICOM_FPS,
            True,
        )
    )
    stream = at.get('occlunet1_stream')
    goals.append(
        goal(f'OccluNet1 stream x FLOP floor ({GOAL_SIZE}^2)', stream and stream['x_floor'], FLOOR_FACTOR)
    )
    print('\n## Goals\n')
    print(goals_table(goals))
    write_json(
        args.out,
        {
            'benchmark': 'inference',
            'machine': machine_info(device, args.threads),
            'settings': {
                'sizes': args.sizes,
                'frames': args.frames,
                'repeats': args.repeats,
                'warmup': args.warmup,
                'amp': args.amp,
                'fused': not args.no_fuse,
                'traced': not (args.no_fuse or args.no_trace),
                'candidates': args.candidates,
                'score_thresholds': thresholds,
            },
            'matmul_peak_gflops': peak,
            'macs_per_frame': flops,
            'results': results,
            'ratios': ratios,
            'goals': goals,
            'skipped': {},  # every variant runs; the key keeps the benchmarks' common schema
        },
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
