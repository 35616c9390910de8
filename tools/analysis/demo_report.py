"""Write the demo's Markdown report from result files, McNemar results and the curves PNG.

    python tools/analysis/demo_report.py --out work_dirs/demo/report.md \
        --results OccluNet1=r1.json OccluNet2=r2.json MinIP=r3.json \
        --mcnemar "OccluNet1 vs MinIP=m1.json" ... [--curves curves.png] [--gif-dir DIR] [--quick] \
        [--classifier GRU=ensemble.json] [--classifier-roc roc.png]

The table has the presence threshold, precision, recall, F1, MCC, ROC AUC and the counts of every model
(sequence level, from ``SequenceDetectionMetric``; the threshold is the one the test run used), a second
table recomputes them from the tracks at the default ``score_thr`` 0.01, with the OccluNet paper's numbers
beside the first (measured on clinical DSA of the
MR CLEAN Registry, not on this synthetic data: for reference only). ``--classifier`` adds the sequence
classifier (the ``tools/ensemble.py --json`` file of its test results): MCC/AUC over all test sequences,
per view and PA+LAT paired, beside the detectors' presence MCC/AUC on the same sequences, with Mittmann et
al.'s best single-model numbers for reference.

Time-order ablation: where a results file ``X.json`` has ``X_reverse.json`` / ``X_shuffle.json`` beside it
(``tools/test.py ... --time-order reverse|shuffle --out X_reverse.json``, same ``score_thr``), the report
adds a table of precision, recall, MCC and AUC per order and the change in recall against forward time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from occlunet.evaluation.metrics.detection_rates import detection_rates
from occlunet.evaluation.results_record import ResultsFile
from occlunet.evaluation.stats import (
    ResultsFileError,
    load_results,
    time_order_of,
    time_order_path,
)
from occlunet.evaluation.stats.threshold import counts_at, presence_mcc
from occlunet.evaluation.verdict import binary_mcc, roc_auc

DEFAULT_SCORE_THR = 0.01  # the metric's default (the paper's per-detection threshold)

#: Kore et al., OccluNet, Table 1 (single-class occlusion; precision, recall in %).
PAPER = {'OccluNet1': (89.02, 74.87), 'OccluNet2': (87.97, 71.28), 'MinIP': (44.5, 22.6)}
#: Mittmann et al. 2022, best single-model MCC | AUC on test data set 1 (PA, LAT, PA+LAT paired).
PAPER_CLASSIFIER = {'PA': (0.65, 0.91), 'LAT': (0.68, 0.93), 'PA+LAT': (0.73, 0.94)}
ABLATION_ORDERS = ('reverse', 'shuffle')  # the time orders the ablation table looks for, beside forward


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
        '| model | score_thr | precision | recall | F1 | MCC | ROC AUC | TP | FP | FN | TN '
        '| paper P / R (%) |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ]
    for name, doc in results:
        m = doc['metrics']
        paper = PAPER.get(name)
        ref = f'{paper[0]:.1f} / {paper[1]:.1f}' if paper else ''
        lines.append(
            f'| {name} | {doc["settings"].get("score_thr", float("nan")):.4g} | '
            f'{_fmt(m.get("sequence/precision"))} | {_fmt(m.get("sequence/recall"))} | '
            f'{_fmt(m.get("sequence/f1"))} | {_fmt(m.get("sequence/mcc"))} | {_fmt(m.get("sequence/auc"))} | '
            + ' | '.join(str(m.get(f'sequence/{k}')) for k in ('tp', 'fp', 'fn', 'tn'))
            + f' | {ref} |'
        )
    return lines


def fixed_threshold_table(results: list[tuple[str, dict]], threshold: float) -> list[str]:
    """The same test results recomputed from their tracks at one fixed ``score_thr`` for every model (a
    result file keeps every track of the linker, also those below its own ``score_thr``)."""
    lines = [
        '| model | precision | recall | F1 | MCC | TP | FP | FN | TN |',
        '|---|---|---|---|---|---|---|---|---|',
    ]
    for name, doc in results:
        c = counts_at(doc, threshold)
        rates = detection_rates(c['tp'], c['fp'], c['fn'])
        lines.append(
            f'| {name} | {_fmt(rates["precision"])} | {_fmt(rates["recall"])} | {_fmt(rates["f1"])} | '
            f'{_fmt(presence_mcc(doc, threshold))} | {c["tp"]} | {c["fp"]} | {c["fn"]} | {c["tn"]} |'
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


def _signed(value: float | None, digits: int = 3) -> str:
    if value is None or math.isnan(value):
        return 'n/a'
    return f'{value:+.{digits}f}'


def _ablation_runs(path: Path) -> list[tuple[str, dict]]:
    """The forward results at ``path`` and those of its time-order siblings that exist, each checked to
    be tested in its order at the forward run's ``score_thr``."""
    forward = load_results(path)
    thr = forward['settings'].get('score_thr')
    runs = []
    for order in ('forward', *ABLATION_ORDERS):
        source = time_order_path(path, order)
        if not source.exists():
            continue
        doc = forward if order == 'forward' else load_results(source)
        if time_order_of(doc) != order:
            raise ResultsFileError(
                f'{source}: settings.time_order is {time_order_of(doc)!r}, expected {order!r} '
                f'(tools/test.py ... --time-order {order} --out {source})'
            )
        if doc['settings'].get('score_thr') != thr:
            raise ResultsFileError(
                f'{source}: score_thr {doc["settings"].get("score_thr")} differs from {thr} of the forward '
                f'run {path}: test every order at the same --cfg-options test_evaluator.score_thr'
            )
        runs.append((order, doc))
    return runs


def time_order_table(results: list[tuple[str, Path]]) -> list[str]:
    """The "time-order ablation" section: per model whose forward results file has ``_reverse`` /
    ``_shuffle`` siblings (:func:`~occlunet.evaluation.stats.time_order_path`), its precision, recall, MCC
    and ROC AUC in every order, and the recall change against forward time (``ΔR``). Empty when no model
    has a sibling.

    Raises:
        ResultsFileError: a sibling records another order or another ``score_thr`` than the forward run.
    """
    rows, seeds = [], set()
    for name, path in results:
        runs = _ablation_runs(Path(path))
        if len(runs) == 1:
            continue
        recall = runs[0][1]['metrics'].get('sequence/recall')
        for order, doc in runs:
            m = doc['metrics']
            here = m.get('sequence/recall')
            delta = None if recall is None or here is None else here - recall
            if order == 'shuffle':
                seeds.add(doc['settings'].get('time_seed'))
            cells = [m.get(f'sequence/{k}') for k in ('precision', 'recall', 'mcc', 'auc')]
            change = '—' if order == 'forward' else _signed(delta)
            rows.append(f'| {name} | {order} | ' + ' | '.join(_fmt(c) for c in cells) + f' | {change} |')
    if not rows:
        return []
    seed_text = f' (seed {", ".join(str(s) for s in sorted(seeds, key=str))})' if seeds else ''
    return [
        '## Time-order ablation (does the model use time?)',
        '',
        'The same test sequences played backwards (`reverse`) or in a random order per sequence '
        f'(`shuffle`{seed_text}), at the same presence threshold as the forward run '
        '(`tools/test.py --time-order`). A model that reads the late (collateral) filling loses recall '
        'when time runs backwards; the MinIP baseline is invariant by construction (a control: its rows '
        'must equal forward). ΔR: recall minus the forward recall.',
        '',
        '| model | order | precision | recall | MCC | ROC AUC | ΔR vs forward |',
        '|---|---|---|---|---|---|---|',
        *rows,
    ]


def _binary(labels: list[int], scores: list[float], threshold: float) -> tuple[float, float]:
    """MCC at ``threshold`` and ROC AUC (NaN with one class) of sequence scores."""
    return binary_mcc(labels, [int(s >= threshold) for s in scores]), roc_auc(labels, scores)


def classifier_lines(name: str, doc: dict, detectors: list[tuple[str, dict]]) -> list[str]:
    """Classifier MCC/AUC (all sequences, per view, PA+LAT) beside the detectors' presence MCC/AUC."""
    threshold = float(doc.get('settings', {}).get('threshold', 0.5))
    seqs = doc['sequences']
    mcc, auc = _binary([s['label'] for s in seqs], [s['score'] for s in seqs], threshold)
    m = doc['metrics']
    lines = [
        '| model | sequences | MCC | ROC AUC | paper MCC / AUC |',
        '|---|---|---|---|---|',
        f'| {name}, all test sequences | {len(seqs)} | {_fmt(mcc)} | {_fmt(auc)} | |',
    ]
    for group in ('PA', 'LAT', 'PA+LAT'):
        if f'{group}/mcc' not in m:
            continue
        paper = PAPER_CLASSIFIER.get(group)
        ref = f'{paper[0]:.2f} / {paper[1]:.2f}' if paper else ''
        what = 'studies, PA+LAT paired' if group == 'PA+LAT' else f'{group} sequences'
        lines.append(
            f'| {name}, {what} | {m.get(f"{group}/n")} | {_fmt(m[f"{group}/mcc"])} | '
            f'{_fmt(m.get(f"{group}/auc"))} | {ref} |'
        )
    for det_name, det in detectors:
        dm = det['metrics']
        lines.append(
            f'| {det_name} presence (best track score), all test sequences | {det.get("num_sequences")} | '
            f'{_fmt(dm.get("sequence/mcc"))} | {_fmt(dm.get("sequence/auc"))} | |'
        )
    return lines


def example_gifs(doc: dict, gif_dir: Path, per_outcome: int = 2) -> list[tuple[str, Path]]:
    """A few GIFs of the first model: correct detections (TP) and wrong ones (FN+FP, FP)."""
    picks: list[tuple[str, Path]] = []
    sequences = ResultsFile.from_json(doc).sequences
    for wanted in ('TP', 'FN+FP', 'FP', 'FN'):
        found = 0
        for seq in sequences:
            if seq.outcome != wanted or found >= per_outcome:
                continue
            matches = sorted(gif_dir.glob(f'{seq.video_id}_*.gif'))
            if matches:
                picks.append((f'{wanted}: {seq.file_name}', matches[0]))
                found += 1
    return picks


def build_report(args: argparse.Namespace) -> str:
    out_dir = Path(args.out).parent
    paths = _pairs(args.results, 'results')
    results = [(name, load_results(path)) for name, path in paths]
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
    lines += [
        "Each detector's presence threshold `score_thr` (minimum mean confidence of the best track) was "
        'chosen on the validation split (maximum Youden J = TP / occluded + TN / open runs - 1, '
        '`tools/analysis/calibrate_threshold.py`) and applied '
        'unchanged to the test split; ROC AUC does not depend on it.',
        '',
    ]
    lines += metrics_table(results) + ['']
    lines += [
        f'The same test runs at the default `score_thr` {DEFAULT_SCORE_THR} for every model:',
        '',
    ]
    lines += fixed_threshold_table(results, DEFAULT_SCORE_THR) + ['']
    if tests:
        lines += ["## McNemar's test (per-sequence correctness: TP or TN)", ''] + mcnemar_lines(tests) + ['']
    ablation = time_order_table([(name, Path(path)) for name, path in paths])
    if ablation:
        lines += [*ablation, '']
    if args.classifier:
        name, path = _pairs([args.classifier], 'classifier')[0]
        doc = json.loads(Path(path).read_text())
        lines += [
            '## Sequence classifier (thrombus yes/no, Mittmann et al.)',
            '',
            'One model trained on both views. PA+LAT (`tools/ensemble.py`): per study, the mean of the two '
            "views' probabilities, against the study label (positive if either view shows a thrombus). "
            'Detectors: a sequence is positive when it has a track (at the score_thr of the table above); '
            'AUC from the best track score. Paper numbers: clinical data, for reference only.',
            '',
        ]
        lines += classifier_lines(name, doc, results) + ['']
        if args.classifier_roc:
            lines += [f'![classifier ROC]({os.path.relpath(args.classifier_roc, out_dir)})', '']
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
    ap.add_argument('--classifier', metavar='NAME=JSON', help='tools/ensemble.py --json of the classifier')
    ap.add_argument('--classifier-roc', help='tools/ensemble.py --plot PNG')
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
