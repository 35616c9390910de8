"""Write the demo's Markdown report from result files, McNemar results and the curves PNG.

    python tools/analysis/demo_report.py --out work_dirs/demo/report.md \
        --results OccluNet1=r1.json OccluNet2=r2.json MinIP=r3.json \
        --mcnemar "OccluNet1 vs MinIP=m1.json" ... [--curves curves.png] [--gif-dir DIR] [--quick]

The table has precision, recall, F1, MCC, ROC AUC and the counts of every model (sequence level, from
``SequenceDetectionMetric``), with the OccluNet paper's numbers beside them (measured on clinical DSA of the
MR CLEAN Registry, not on this synthetic data: for reference only).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from occlunet.evaluation.stats import load_results  # noqa: E402

#: Kore et al., OccluNet, Table 1 (single-class occlusion; precision, recall in %).
PAPER = {'OccluNet1': (89.02, 74.87), 'OccluNet2': (87.97, 71.28), 'MinIP': (44.5, 22.6)}


def _pairs(items: list[str], what: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        name, sep, path = item.rpartition('=')
        if not sep or not name:
            raise SystemExit(f'--{what} {item!r}: expected NAME=PATH')
        out.append((name, path))
    return out


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 'n/a'
    return f'{value:.{digits}f}'


def metrics_table(results: list[tuple[str, dict]]) -> list[str]:
    lines = [
        '| model | precision | recall | F1 | MCC | ROC AUC | TP | FP | FN | TN | paper P / R (%) |',
        '|---|---|---|---|---|---|---|---|---|---|---|',
    ]
    for name, doc in results:
        m = doc['metrics']
        paper = PAPER.get(name)
        ref = f'{paper[0]:.1f} / {paper[1]:.1f}' if paper else ''
        lines.append(
            f'| {name} | {_fmt(m.get("sequence/precision"))} | {_fmt(m.get("sequence/recall"))} | '
            f'{_fmt(m.get("sequence/f1"))} | {_fmt(m.get("sequence/mcc"))} | {_fmt(m.get("sequence/auc"))} | '
            + ' | '.join(str(m.get(f'sequence/{k}')) for k in ('tp', 'fp', 'fn', 'tn'))
            + f' | {ref} |'
        )
    return lines


def mcnemar_lines(tests: list[tuple[str, dict]]) -> list[str]:
    lines = ['| comparison | both correct | only A | only B | both wrong | exact p | chi2 (cc) | p (chi2) |']
    lines.append('|---|---|---|---|---|---|---|---|')
    for name, doc in tests:
        (both, b), (c, neither) = doc['table']
        lines.append(
            f'| {name} | {both} | {b} | {c} | {neither} | {_fmt(doc["p_exact"], 4)} | {_fmt(doc["chi2"], 3)} '
            f'| {_fmt(doc["p_chi2"], 4)} |'
        )
    return lines


def example_gifs(doc: dict, gif_dir: Path, per_outcome: int = 2) -> list[tuple[str, Path]]:
    """A few GIFs of the first model: correct detections (TP) and wrong ones (FN+FP, FP)."""
    picks: list[tuple[str, Path]] = []
    for wanted in ('TP', 'FN+FP', 'FP', 'FN'):
        found = 0
        for seq in doc['sequences']:
            if seq['outcome'] != wanted or found >= per_outcome:
                continue
            matches = sorted(gif_dir.glob(f'{seq["video_id"]}_*.gif'))
            if matches:
                picks.append((f'{wanted}: {seq["file_name"]}', matches[0]))
                found += 1
    return picks


def build_report(args: argparse.Namespace) -> str:
    out_dir = Path(args.out).parent
    results = [(name, load_results(path)) for name, path in _pairs(args.results, 'results')]
    tests = [
        (name, json.loads(Path(path).read_text())) for name, path in _pairs(args.mcnemar or [], 'mcnemar')
    ]
    num = results[0][1]['num_sequences'] if results else 0
    lines = ['# occlunet demo report', '']
    if args.quick:
        lines += [
            '> **Quick run** (`make demo DEMO_QUICK=1`): small data and short schedules, for a first look;',
            "> these numbers are not the demo's result.",
            '',
        ]
    lines += [
        f'Sequence-level results on the held-out test split ({num} sequences) of the synthetic DSA data, '
        "single-class occlusion; a hit is the best track's centre within 25 px (in a 512-px reference "
        'frame) of the GT box centre. Paper numbers are from clinical DSA (MR CLEAN Registry), for '
        'reference only.',
        '',
    ]
    if args.command:
        lines += [
            f'Command: `{args.command}`' + (f', wall time {args.wall_time}.' if args.wall_time else '.'),
            '',
        ]
    lines += metrics_table(results) + ['']
    if tests:
        lines += ["## McNemar's test (per-sequence correctness: TP or TN)", ''] + mcnemar_lines(tests) + ['']
    if args.curves:
        lines += ['## PR and ROC curves', '', f'![curves]({os.path.relpath(args.curves, out_dir)})', '']
    if args.gif_dir and results:
        picks = example_gifs(results[0][1], Path(args.gif_dir))
        if picks:
            lines += [f'## Examples ({results[0][0]}; best track and GT drawn)', '']
            lines += [f'- {title}: ![]({os.path.relpath(path, out_dir)})' for title, path in picks] + ['']
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True, help='report.md to write')
    ap.add_argument(
        '--results', nargs='+', required=True, metavar='NAME=JSON', help='tools/test.py --out files'
    )
    ap.add_argument(
        '--mcnemar', nargs='*', metavar='NAME=JSON', help='tools/analysis/mcnemar.py --json files'
    )
    ap.add_argument('--curves', help='PNG from tools/analysis/plot_curves.py')
    ap.add_argument('--gif-dir', help='--show-dir of the first model')
    ap.add_argument('--quick', action='store_true', help='label the numbers as a quick run')
    ap.add_argument('--command', help='the command that produced the report')
    ap.add_argument('--wall-time', help='its wall time')
    args = ap.parse_args(argv)
    text = build_report(args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + '\n')
    print(f'report written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
