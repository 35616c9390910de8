"""Generate the synthetic cerebral DSA dataset (XA DICOM, PA + LAT per study, COCO-VID annotations).

    python tools/make_synthetic.py --out data/synth_dsa --studies 200 --size 512 --seed 0 [--preset v1]

Writes ``OUT/dicom/S0000_PA.dcm``, ``OUT/dicom/S0000_LAT.dcm``, ...,
``OUT/annotations/{all,train,val,test}.json``, ``OUT/generator.json`` (version, preset, seed, per-study
draws) and the data card ``OUT/data_card.{json,md}``. ``--preset`` picks the defaults (``v2``: current,
``v1``: generator 1.0.0, reproducing its data); a flag given explicitly overrides the preset. The same
arguments give byte-identical files (whatever ``--workers``). Physics: docs/synthetic_data.md.
"""

from __future__ import annotations

import argparse
import json

from occlunet.synth import CLASS_NAMES, generate_dataset
from occlunet.synth.presets import DEFAULT_PRESET, PRESETS

#: Flags that override a SynthParams field of the preset: flag destination -> field.
OVERRIDES = {
    'frames_min': 'frames_min',
    'frames_max': 'frames_max',
    'fps_min': 'fps_min',
    'fps_max': 'fps_max',
    'two_rate_probability': 'two_rate_probability',
    'occlusion_fraction': 'occlusion_fraction',
    'compress': 'compress',
    'bits_stored': 'bits_stored',
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True, help='dataset root directory')
    ap.add_argument('--studies', type=int, default=200, help='number of studies (two runs each)')
    ap.add_argument('--size', type=int, default=512, help='Rows = Columns of every frame')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument(
        '--preset',
        choices=sorted(PRESETS),
        default=DEFAULT_PRESET,
        help='generator defaults (v1: generator 1.0.0)',
    )
    ap.add_argument(
        '--split',
        type=float,
        nargs=3,
        default=(0.7, 0.15, 0.15),
        metavar=('TRAIN', 'VAL', 'TEST'),
        help='ratios of the seeded random split by study',
    )
    ap.add_argument('--frames-min', type=int, help='fewest frames per run (preset: v2 3, v1 10)')
    ap.add_argument('--frames-max', type=int, help='most frames per run (preset: v2 76, v1 20)')
    ap.add_argument('--fps-min', type=float, help='slowest constant / arterial-phase rate (preset: 2)')
    ap.add_argument('--fps-max', type=float, help='fastest constant / arterial-phase rate (preset: 4)')
    ap.add_argument(
        '--duration-min',
        type=float,
        help='wanted run length in s (preset: v2 10-16, v1 6-9; frames = clip(round(duration * fps), ...))',
    )
    ap.add_argument('--duration-max', type=float)
    ap.add_argument(
        '--two-rate-probability', type=float, help='share of variable-rate runs (preset: v2 0.3, v1 0)'
    )
    ap.add_argument(
        '--occlusion-fraction', type=float, help='share of studies with an occlusion (preset: 0.6)'
    )
    ap.add_argument(
        '--classes',
        nargs='+',
        choices=CLASS_NAMES,
        help='occlusion classes that may be drawn (default: all; category ids never change)',
    )
    ap.add_argument('--compress', choices=('none', 'rle'), help='pixel encoding (preset: none)')
    ap.add_argument('--bits-stored', type=int, choices=(10, 12), help='BitsStored (preset: 12)')
    ap.add_argument('--workers', type=int, default=1, help='processes (results do not depend on it)')
    ap.add_argument('--no-card', action='store_true', help='skip the data card (and the control renders)')
    ap.add_argument('--no-progress', action='store_true', help='no progress bar')
    args = ap.parse_args(argv)
    if (args.duration_min is None) != (args.duration_max is None):
        ap.error('--duration-min and --duration-max go together')
    return args


def overrides(args: argparse.Namespace) -> dict:
    """The SynthParams fields the command line sets explicitly (the preset gives the rest)."""
    found = {
        field: getattr(args, dest) for dest, field in OVERRIDES.items() if getattr(args, dest) is not None
    }
    if args.duration_min is not None:
        found['duration_s'] = (args.duration_min, args.duration_max)
    if args.classes is not None:
        found['classes'] = tuple(args.classes)
    return found


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    summary = generate_dataset(
        args.out,
        args.studies,
        size=args.size,
        seed=args.seed,
        preset=args.preset,
        split=tuple(args.split),
        workers=args.workers,
        progress=not args.no_progress,
        card=not args.no_card,
        **overrides(args),
    )
    print(json.dumps(summary, indent=1))
    return summary


if __name__ == '__main__':
    main()
