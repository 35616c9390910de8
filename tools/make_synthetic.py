"""Generate the synthetic cerebral DSA dataset (XA DICOM, PA + LAT per study, COCO-VID annotations).

    python tools/make_synthetic.py --out data/synth_dsa --studies 200 --size 512 --seed 0

Writes ``OUT/dicom/S0000_PA.dcm``, ``OUT/dicom/S0000_LAT.dcm``, ... and
``OUT/annotations/{all,train,val,test}.json``.
The same arguments give byte-identical files (whatever ``--workers``). Physics: docs/synthetic_data.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from occlunet.synth import CLASS_NAMES, SynthParams, generate_dataset  # noqa: E402

_DEFAULTS = SynthParams()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True, help='dataset root directory')
    ap.add_argument('--studies', type=int, default=200, help='number of studies (two runs each)')
    ap.add_argument('--size', type=int, default=512, help='Rows = Columns of every frame')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument(
        '--split',
        type=float,
        nargs=3,
        default=(0.7, 0.15, 0.15),
        metavar=('TRAIN', 'VAL', 'TEST'),
        help='ratios of the seeded random split by study',
    )
    ap.add_argument('--frames-min', type=int, default=_DEFAULTS.frames_min)
    ap.add_argument('--frames-max', type=int, default=_DEFAULTS.frames_max)
    ap.add_argument('--fps-min', type=float, default=_DEFAULTS.fps_min)
    ap.add_argument('--fps-max', type=float, default=_DEFAULTS.fps_max)
    ap.add_argument(
        '--duration-min',
        type=float,
        default=_DEFAULTS.duration_s[0],
        help='wanted run length in s (frames = clip(round(duration * fps), frames-min, frames-max))',
    )
    ap.add_argument('--duration-max', type=float, default=_DEFAULTS.duration_s[1])
    ap.add_argument(
        '--occlusion-fraction',
        type=float,
        default=_DEFAULTS.occlusion_fraction,
        help='share of studies with an occlusion',
    )
    ap.add_argument(
        '--classes',
        nargs='+',
        choices=CLASS_NAMES,
        default=list(CLASS_NAMES),
        help='occlusion classes that may be drawn (category ids never change)',
    )
    ap.add_argument('--compress', choices=('none', 'rle'), default='none')
    ap.add_argument('--bits-stored', type=int, choices=(10, 12), default=_DEFAULTS.bits_stored)
    ap.add_argument('--workers', type=int, default=1, help='processes (results do not depend on it)')
    ap.add_argument('--no-progress', action='store_true', help='no progress bar')
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    summary = generate_dataset(
        args.out,
        args.studies,
        size=args.size,
        seed=args.seed,
        split=tuple(args.split),
        workers=args.workers,
        progress=not args.no_progress,
        frames_min=args.frames_min,
        frames_max=args.frames_max,
        fps_min=args.fps_min,
        fps_max=args.fps_max,
        duration_s=(args.duration_min, args.duration_max),
        occlusion_fraction=args.occlusion_fraction,
        classes=tuple(args.classes),
        compress=args.compress,
        bits_stored=args.bits_stored,
    )
    print(json.dumps(summary, indent=1))
    return summary


if __name__ == '__main__':
    main()
