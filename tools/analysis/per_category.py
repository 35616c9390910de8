"""Which occlusion types does a model find? Outcomes of a result file split by the annotation's category.

    python tools/analysis/per_category.py RESULTS.json [RESULTS2.json ...] \
        --ann data/synth_dsa/annotations/test.json [--names A B ...] [--json OUT]

A single-class model (``single_class=True``) reports one class, "occlusion"; the annotation file still
knows each run's category (M1, M2, ICA ...). Runs are matched by ``video_id`` and ``file_name``. Per
category and model: runs, correct runs (TP, or TN for runs without occlusion, category "none"), found
runs (TP) and the median confidence of the best track (0 without a track). Errors name the file and the
run that does not match.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from occlunet.evaluation.results_record import ResultsFile
from occlunet.evaluation.stats import ResultsFileError, load_results_file

NO_OCCLUSION = 'none'


def run_categories(ann: dict, source: str) -> dict[tuple[int, str], str]:
    """``(video_id, file_name) -> category name`` (``'none'`` without an annotation box)."""
    try:
        names = {c['id']: c['name'] for c in ann['categories']}
        videos = {v['id']: v['file_name'] for v in ann['videos']}
        boxes: dict[int, str] = {}
        for a in ann['annotations']:
            boxes.setdefault(a['video_id'], names[a['category_id']])
    except KeyError as e:
        raise ValueError(f'{source}: not a COCO-VID annotation file (missing key {e})') from e
    return {(vid, name): boxes.get(vid, NO_OCCLUSION) for vid, name in videos.items()}


def breakdown(results: ResultsFile, categories: dict[tuple[int, str], str], source: str) -> dict[str, dict]:
    """Per category: ``runs``, ``correct``, ``found`` and ``median_confidence`` of the best track."""
    groups: dict[str, list] = {}
    for seq in results.sequences:
        key = (seq.video_id, seq.file_name)
        if key not in categories:
            raise ValueError(
                f'{source}: run video_id={seq.video_id} file_name={seq.file_name} is not in the '
                'annotation file'
            )
        groups.setdefault(categories[key], []).append(seq)
    out = {}
    for category, seqs in sorted(groups.items()):
        out[category] = dict(
            runs=len(seqs),
            correct=sum(s.correct for s in seqs),
            found=sum(s.outcome == 'TP' for s in seqs),
            median_confidence=float(statistics.median(s.confidence for s in seqs)),
        )
    return out


def table(results: dict[str, dict[str, dict]]) -> list[str]:
    categories = sorted({c for per in results.values() for c in per})
    lines = [
        '| category | runs | ' + ' | '.join(f'{m}: correct (median conf.)' for m in results) + ' |',
        '|---|---|' + '---|' * len(results),
    ]
    for c in categories:
        runs = next(per[c]['runs'] for per in results.values() if c in per)
        cells = [
            f'{per[c]["correct"]}/{per[c]["runs"]} ({per[c]["median_confidence"]:.3f})' if c in per else '-'
            for per in results.values()
        ]
        lines.append(f'| {c} | {runs} | ' + ' | '.join(cells) + ' |')
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('results', nargs='+', help='tools/test.py --out files')
    ap.add_argument('--ann', required=True, help='the annotation file of the tested split')
    ap.add_argument('--names', nargs='+', help='model names (default: the file stems)')
    ap.add_argument('--json', metavar='OUT', help='also write the breakdown as JSON')
    args = ap.parse_args(argv)
    names = args.names or [Path(r).stem for r in args.results]
    if len(names) != len(args.results):
        print(f'per_category: {len(names)} names for {len(args.results)} result files', file=sys.stderr)
        return 2
    try:
        categories = run_categories(json.loads(Path(args.ann).read_text()), args.ann)
        results = {
            name: breakdown(load_results_file(path), categories, path)
            for name, path in zip(names, args.results)
        }
    except (OSError, json.JSONDecodeError, ResultsFileError, ValueError) as e:
        print(f'per_category: {e}', file=sys.stderr)
        return 1
    print('\n'.join(table(results)))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
