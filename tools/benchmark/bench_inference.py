"""Inference speed per frame: OccluNet streaming vs plain YOLOX-S, window recomputation, the baselines.

python tools/benchmark/bench_inference.py [--sizes 256 512] [--frames 20] [--repeats 5] [--threads N]
    [--device cpu|cuda] [--amp bf16] [--candidates 100] [--no-fuse] [--variants ...] [--out results.json]

One synthetic run of ``--frames`` frames per size (``occlunet.synth``, frames of size x size, so the
pipeline's resize is a no-op), random weights (speed does not depend on them), every variant in one process,
interleaved (see tools/benchmark/_common.py). The score threshold of each model is set so that about
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
    gru_classifier       ResNet-18 + GRU sequence classifier per sequence / frames (if present).
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
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _common import (  # noqa: E402
    MATMUL_SIZES,
    REPO,
    add_common_args,
    build_model,
    candidate_threshold,
    check_common_args,
    count_macs,
    fmt,
    format_table,
    goal,
    goals_table,
    head_scores,
    inference,
    load_config,
    log,
    machine_info,
    matmul_peak_gflops,
    setup,
    spread,
    summary,
    time_interleaved,
    write_json,
    write_synthetic_run,
    yolox_s_cfg,
)

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


def pipeline_options(size: int) -> dict:
    return {'test_dataloader.dataset.pipeline.1.scale': (size, size)}


def classifier_available() -> str | None:
    """None if the GRU classifier can be benchmarked, else why not."""
    try:
        import occlunet.models.classifiers  # noqa: F401
    except ImportError as exc:
        return f'occlunet.models.classifiers is missing ({exc})'
    if not CONFIGS['classifier'].exists():
        return f'{CONFIGS["classifier"].relative_to(REPO)} is missing'
    return None


class Bench:
    """The models and the timed callables of one input size."""

    def __init__(self, args: argparse.Namespace, device: torch.device, size: int, folder: Path) -> None:
        from occlunet.apis import SequenceInferencer
        from occlunet.dicom import load_dsa
        from occlunet.models.layers import fuse_for_inference

        self.args, self.device, self.size = args, device, size
        self.dicom, _ = write_synthetic_run(folder, size, args.frames)
        self.frames = load_dsa(self.dicom).frames  # (F, size, size)
        self.skipped: dict[str, str] = {}
        fuse = not args.no_fuse
        wanted = set(args.variants)

        def prepare(model: torch.nn.Module) -> torch.nn.Module:
            if fuse:
                fuse_for_inference(model, trace=not args.no_trace)
            return model

        def inferencer(name: str) -> SequenceInferencer:
            cfg = load_config(CONFIGS[name], pipeline_options(size))
            torch.manual_seed(0)
            out = SequenceInferencer(cfg, None, device=device, fuse=False)
            prepare(out.model)
            return out

        self.o1 = inferencer('occlunet1')
        self.o2 = inferencer('occlunet2') if 'occlunet2_stream' in wanted else None
        self.minip = inferencer('minip') if 'minip_sequence' in wanted else None
        self.classifier = None
        if 'gru_classifier' in wanted:
            reason = classifier_available()
            if reason is None:
                self.classifier = inferencer('classifier')
            else:
                self.skipped['gru_classifier'] = reason
        self.yolox = prepare(build_model(yolox_s_cfg(self.o1.cfg.model)).to(device).eval())
        self.thresholds = self._set_thresholds()

    # -- set-up --------------------------------------------------------------------------------------
    def _frame_input(self, frame: np.ndarray) -> torch.Tensor:
        """One frame as YOLOX-S input: 3 equal channels, the data preprocessor's scale. (1, 3, H, W)"""
        x = torch.from_numpy((frame - 0.5) / 0.25).to(self.device)
        return x.expand(1, 3, *x.shape).contiguous(memory_format=torch.channels_last)

    def _set_thresholds(self) -> dict[str, float]:
        """Per model the score threshold letting ``--candidates`` boxes of a frame into NMS (and the same
        minimum for the linker)."""
        out = {}
        with inference(self.device, self.args.amp):
            feats = self.yolox.neck(self.yolox.backbone(self._frame_input(self.frames[0])))
            out['yolox_s'] = candidate_threshold(
                head_scores(self.yolox.bbox_head, feats), self.args.candidates
            )
            for name, inf in (('occlunet1', self.o1), ('occlunet2', self.o2), ('minip', self.minip)):
                if inf is None:
                    continue
                data = inf.model.data_preprocessor(inf.preprocess(inf.load(self.frames[:3])))
                model = inf.model
                feats = model.temporal_neck.forward_windows(model.frame_features(data['inputs'][0]), [0])
                out[name] = candidate_threshold(head_scores(model.bbox_head, feats), self.args.candidates)
        self.yolox.bbox_head.test_cfg['score_thr'] = out['yolox_s']
        for name, inf in (('occlunet1', self.o1), ('occlunet2', self.o2), ('minip', self.minip)):
            if inf is not None:
                inf.model.bbox_head.test_cfg['score_thr'] = out[name]
                inf.model.test_cfg['score_thr'] = out[name]
                inf.model.tracker.score_thr = out[name]
        return out

    # -- the timed calls (one whole run each) -------------------------------------------------------
    def run_yolox(self) -> None:
        model = self.yolox
        meta = {'img_shape': (self.size, self.size), 'scale_factor': (1.0, 1.0)}
        for frame in self.frames:
            outs = model.bbox_head(model.neck(model.backbone(self._frame_input(frame))))
            with torch.autocast(device_type=self.device.type, enabled=False):  # NMS in float32
                outs = ([t.float() for t in level] for level in outs)
                model.bbox_head.predict_by_feat(*outs, batch_img_metas=[meta], rescale=False)

    def run_stream(self, inf: object) -> None:
        inf.reset(inf.intensity_range(self.frames))
        for frame in self.frames:
            inf.push(frame)
        inf.finish()

    def run_recompute(self) -> None:
        """Backbone + PAFPN on every stack of every window (T = 3 calls per frame), as published."""
        inf, model = self.o1, self.o1.model
        steps = inf.frame_steps
        low_high = inf.intensity_range(self.frames)
        prepared = [steps.prepared(frame[None], low_high) for frame in self.frames]
        n, k, t = len(prepared), steps.neighbours, model.num_frames
        meta = {'img_shape': (self.size, self.size), 'scale_factor': (1.0, 1.0), 'flip': False}

        def stack(j: int) -> torch.Tensor:  # network input of frame j, (C, H_pad, W_pad)
            ids = [min(max(j + o, 0), n - 1) for o in range(-k, k + 1)]
            x = torch.from_numpy(np.stack([prepared[i] for i in ids]))[None]
            return model.data_preprocessor({'inputs': [x], 'data_samples': None})['inputs'][0, 0]

        per_frame = []
        for target in range(n):
            window = [stack(min(max(target - t // 2 + i, 0), n - 1)) for i in range(t)]
            feats = model.extract_feat(torch.stack(window)[None])  # (1, T, C, H, W): T backbone calls
            per_frame += model.detect(feats, meta)
        model.tracker.link(per_frame)

    def variants(self) -> dict[str, Callable[[], object]]:
        amp, device = self.args.amp, self.device

        def wrapped(fn: Callable[[], object]) -> Callable[[], object]:
            def call() -> object:
                with inference(device, amp):
                    return fn()

            return call

        table = {
            'yolox_s': self.run_yolox,
            'occlunet1_stream': lambda: self.run_stream(self.o1),
            'occlunet1_recompute': self.run_recompute,
            'occlunet1_sequence': lambda: self.o1.predict(self.frames),
            'occlunet2_stream': lambda: self.run_stream(self.o2),
            'minip_sequence': lambda: self.minip.predict(self.frames),
            'gru_classifier': lambda: self.classifier.forward(
                self.classifier.preprocess(self.classifier.load(self.frames))
            ),
            'occlunet1_dicom': lambda: self.o1.predict_stream(self.dicom),
        }
        return {name: wrapped(table[name]) for name in self.args.variants if name not in self.skipped}

    # -- FLOPs ---------------------------------------------------------------------------------------
    def macs_per_frame(self) -> dict[str, int | None]:
        """Multiply-adds per frame of each variant (None where not counted)."""
        size, n = self.size, len(self.frames)
        x1 = torch.zeros(1, 3, size, size, device=self.device)
        yolox = self.yolox
        out: dict[str, int | None] = {
            'yolox_s': count_macs(lambda x: yolox.bbox_head(yolox.neck(yolox.backbone(x))), yolox, (x1,))
        }

        def occlunet(model: torch.nn.Module, x: torch.Tensor) -> tuple[int, int]:
            """(backbone + PAFPN per stack, temporal module + head per target frame)."""
            frame = count_macs(lambda x: model.frame_features(x), model, (x,))
            feats = tuple(
                f.expand(model.num_frames, *f.shape[1:]).contiguous() for f in model.frame_features(x)
            )
            temporal = count_macs(lambda *f: model.temporal_neck(f), model, feats)
            head = count_macs(lambda *f: model.bbox_head(f), model, model.temporal_neck(feats))
            return frame, temporal + head

        stack = torch.zeros(1, self.o1.cfg.model.backbone.in_frames, size, size, device=self.device)
        frame, rest = occlunet(self.o1.model, stack)
        out['occlunet1_stream'] = out['occlunet1_sequence'] = out['occlunet1_dicom'] = frame + rest
        out['occlunet1_recompute'] = self.o1.model.num_frames * frame + rest
        if self.o2 is not None:
            out['occlunet2_stream'] = sum(occlunet(self.o2.model, stack))
        if self.minip is not None:
            image = torch.zeros(1, self.minip.cfg.model.backbone.in_frames, size, size, device=self.device)
            out['minip_sequence'] = sum(occlunet(self.minip.model, image)) // n
        if self.classifier is not None:  # the CNN on each chunk of 3 frames; the GRU is negligible
            model = self.classifier.model
            chunks = -(-n // 3)
            cnn = count_macs(
                lambda x: model.backbone(x), model, (torch.zeros(1, 3, size, size, device=self.device),)
            )
            out['gru_classifier'] = cnn * chunks // n
        return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = setup(args)
    log(f'matmul peak ({args.threads} threads, {device}, amp {args.amp})')
    peak = matmul_peak_gflops(device, args.amp, args.peak_sizes)
    log(f'peak {peak:.1f} GFLOP/s')
    results, ratios, flops, skipped, thresholds = {}, {}, {}, {}, {}
    with tempfile.TemporaryDirectory(prefix='bench_inference_') as tmp:
        for size in args.sizes:
            log(f'size {size}: synthetic run of {args.frames} frames, models')
            bench = Bench(args, device, size, Path(tmp) / str(size))
            skipped.update(bench.skipped)
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
    for name, reason in skipped.items():
        print(f'skipped {name}: {reason}')
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
            'skipped': skipped,
        },
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
