"""Chronological test set and cross-validation folds by study (Mittmann et al. 2022).

    python tools/split_folds.py ANN [--test-fraction 0.2] [--folds 5] [--out-dir DIR] [--allow-undated]

``ANN`` is an annotation file (e.g. ``data/synth_dsa/annotations/all.json``). Its studies (videos grouped
by ``study_id``; a video without one is its own study) are ordered by acquisition time (a study's earliest
``acquired``; ties by study id). The earliest ``--test-fraction`` of the studies (rounded half up, at least
1) are the test set; the rest are cut, in time order, into ``--folds`` contiguous blocks whose sizes differ
by at most 1. PA and LAT of one study always stay together. Written to ``--out-dir`` (default: ``folds/``
beside ``ANN``), in the input's format (every top-level key kept, categories whole, videos and their
annotations filtered): ``test.json``, ``fold{k}_train.json`` (every fold but k) and ``fold{k}_val.json``
(fold k), then ``folds.json``, a summary (study ids, time range, positive/negative sequences per part).

A video without ``acquired`` is an error naming the file and the video; ``--allow-undated`` instead dates a
study by its dated videos and puts studies without any date after all dated ones (by study id).
Exit code 1 on any error (nothing is written). Logic: ``occlunet/datasets/folds.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from occlunet.datasets.folds import (
    FoldSplitError,
    chronological_folds,
    split_documents,
    split_summary,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('ann', metavar='ANN', help='annotation file to split (e.g. annotations/all.json)')
    ap.add_argument('--test-fraction', type=float, default=0.2, help='share of studies held out as test set')
    ap.add_argument('--folds', type=int, default=5, help='number of cross-validation folds (>= 2)')
    ap.add_argument('--out-dir', help='where to write the files (default: folds/ beside ANN)')
    ap.add_argument(
        '--allow-undated',
        action='store_true',
        help="order studies without any 'acquired' after all dated ones instead of failing",
    )
    return ap.parse_args(argv)


def _time(value: str | None) -> str:
    return '-' if value is None else value.replace('T', ' ')


def table(summary: dict) -> list[str]:
    """The printed table: one row per part (test, fold 0..K-1)."""
    header = ('part', 'studies', 'sequences', 'positive', 'negative', 'first acquired', 'last acquired')
    rows = [('test', summary['test'])] + [(f'fold{f["fold"]}', f) for f in summary['folds']]
    cells = [header] + [
        (
            name,
            str(p['num_studies']),
            str(p['num_sequences']),
            str(p['num_positive']),
            str(p['num_negative']),
            _time(p['first_acquired']),
            _time(p['last_acquired']),
        )
        for name, p in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return [
        '  '.join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        for row in cells
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ann = Path(args.ann)
    out_dir = Path(args.out_dir) if args.out_dir else ann.parent / 'folds'
    try:
        try:
            document = json.loads(ann.read_text(encoding='utf-8'))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise FoldSplitError(f'{ann}: not a JSON file: {e}') from e
        split = chronological_folds(
            document,
            test_fraction=args.test_fraction,
            num_folds=args.folds,
            source=str(ann),
            allow_undated=args.allow_undated,
        )
    except (OSError, FoldSplitError) as e:
        print(f'split_folds.py: error: {e}', file=sys.stderr)
        return 1
    summary = split_summary(split, source=str(ann), test_fraction=args.test_fraction)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, doc in split_documents(document, split).items():
        (out_dir / f'{name}.json').write_text(json.dumps(doc, indent=1) + '\n', encoding='utf-8')
    # written last: its presence says the split is complete (tools/cross_validate.sh checks it)
    (out_dir / 'folds.json').write_text(json.dumps(summary, indent=1) + '\n', encoding='utf-8')

    n_studies = summary['test']['num_studies'] + sum(f['num_studies'] for f in summary['folds'])
    print(
        f'{ann}: {n_studies} studies in time order -> test (earliest {summary["test"]["num_studies"]}) '
        f'+ {args.folds} folds'
    )
    print('\n'.join(table(summary)))
    undated = summary['test']['num_undated_studies'] + sum(f['num_undated_studies'] for f in summary['folds'])
    if undated:
        print(f'warning: {undated} studies without acquisition time were ordered last (--allow-undated)')
    across = summary['patients_across_parts']
    if across:
        example = next(iter(across.items()))
        print(
            f'warning: {len(across)} patients have studies in more than one part (e.g. {example[0]}: '
            f'{", ".join(example[1])}); the split is by study, not by patient'
        )
    print(f'wrote {out_dir}/test.json, fold{{0..{args.folds - 1}}}_{{train,val}}.json and folds.json')
    return 0


if __name__ == '__main__':
    sys.exit(main())
