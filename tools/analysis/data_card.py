"""Write the data card of a DSA data set: counts per class and split, run lengths, frame rates, collateral
grades and (synthetic data) the share of each occlusion's deficit a MinIP keeps vs the best single frame.

    python tools/analysis/data_card.py DATA_ROOT [--out DIR] [--workers 2]

Reads ``DATA_ROOT/annotations/{all,train,val,test}.json``, the DICOM headers and ``generator.json``; the
deficits come from occluded/control pairs re-simulated from the recorded generator version, seed and study
index. Writes ``data_card.json`` and ``data_card.md`` into ``--out`` (default: DATA_ROOT) and prints the
Markdown.
"""

from __future__ import annotations

import argparse

from occlunet.synth.data_card import build_data_card, card_markdown, write_data_card


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('data_root', help='data set root (annotations/ and the DICOM files)')
    ap.add_argument('--out', help='directory for data_card.json / .md (default: DATA_ROOT)')
    ap.add_argument('--workers', type=int, default=1, help='processes for the paired re-simulation')
    ap.add_argument('--no-progress', action='store_true', help='no progress bar')
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    card = build_data_card(args.data_root, workers=args.workers, progress=not args.no_progress)
    json_path, md_path = write_data_card(card, args.out or args.data_root)
    print(card_markdown(card))
    print(f'written: {json_path}, {md_path}')
    return card


if __name__ == '__main__':
    main()
