"""Ensemble sequence classifiers and decide per study from PA + LAT (Mittmann et al. 2022).

    python tools/ensemble.py RESULTS.json [RESULTS.json ...] [--names NAME ...] [--threshold 0.5]
        [--require-pairs] [--out-dir DIR] [--plot roc.png] [--json ensemble.json]

Each ``RESULTS.json`` is a classifier result file (``tools/test.py CONFIG CKPT --out results.json``): models
trained on one view (PA or LAT) and/or several models per view, tested on the same annotation file. Files
scoring the same video must agree on its label (else an error naming both files and the video).

- per view: a video's ensemble probability is the mean over every model that scored it;
- PA+LAT (paired): per study (``study_id``), probability = mean over all models of both views, label =
  positive if either view is; a study with one view only takes that view's ensemble probability; how many
  such studies there were is printed as a warning (``--require-pairs``: an error instead).

Prints n, positives, negatives, MCC, ROC AUC, sensitivity and specificity for every view and PA+LAT, of every
input file and of the ensemble; decision ``probability >= --threshold`` everywhere (AUC nan: one class
only). ``--plot`` writes the ROC curves of every input and of the ensembles, one panel per view and PA+LAT;
``--json`` all numbers plus the ensemble's sequences and studies (its ``sequences``, ``metrics``,
``settings`` and ``num_sequences`` make it a classifier result file itself). ``--out-dir DIR`` sets both
to ``DIR/roc.png`` and ``DIR/ensemble.json`` unless given. Exit code 1 on an error. Logic:
``occlunet/evaluation/stats/ensemble.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt

from occlunet.evaluation.stats import (
    BinaryMetrics,
    ClassificationResultsError,
    EnsembleError,
    Evaluation,
    evaluate,
    load_classification_results,
    roc_from_scores,
    short_names,
)
from occlunet.evaluation.stats.ensemble import PAIRED, by_view

matplotlib.use('Agg')  # files only, no display

METRIC_KEYS = ('n', 'mcc', 'auc', 'sensitivity', 'specificity')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('results', nargs='+', metavar='RESULTS.json', help='classifier result files')
    ap.add_argument('--names', nargs='+', metavar='NAME', help='one name per file (default: from the paths)')
    ap.add_argument('--threshold', type=float, default=0.5, help='decision: probability >= threshold')
    ap.add_argument('--require-pairs', action='store_true', help='fail if a study lacks its PA or LAT run')
    ap.add_argument('--out-dir', help='default place of --plot (roc.png) and --json (ensemble.json)')
    ap.add_argument('--plot', metavar='PNG', help='ROC curves of every input and of the ensemble')
    ap.add_argument('--json', metavar='OUT', help='write every number and the ensemble sequences/studies')
    return ap.parse_args(argv)


def _num(x: float) -> str:
    return 'nan' if math.isnan(x) else f'{x:.3f}'


def metric_row(model: str, group: str, m: BinaryMetrics) -> tuple[str, ...]:
    return (model, group, str(m.n), str(m.num_positive), str(m.num_negative), _num(m.mcc), _num(m.auc),
            _num(m.sensitivity), _num(m.specificity))  # fmt: skip


def groups_of(evaluation: Evaluation) -> dict[str, BinaryMetrics | None]:
    return {**evaluation.views, PAIRED: evaluation.paired}


def report_lines(inputs: list[tuple[str, Evaluation]], ensemble: Evaluation, threshold: float) -> list[str]:
    """The printed table: one row per model and group (views, PA+LAT), the ensemble's last."""
    header = ('model', 'group', 'n', 'pos', 'neg', 'MCC', 'AUC', 'sens', 'spec')
    rows, notes = [header], []
    for name, evaluation in [*inputs, (f'ensemble ({len(inputs)})', ensemble)]:
        for group, m in groups_of(evaluation).items():
            if m is None:
                rows.append((name, group, '-', '-', '-', 'n/a', '', '', ''))
                if not any('PA+LAT n/a' in n for n in notes):
                    notes.append(
                        'PA+LAT n/a: no study with both a PA and a LAT sequence (a model of one view)'
                    )
                continue
            rows.append(metric_row(name, group, m))
            if math.isnan(m.auc) and m.n and not any('AUC nan' in n for n in notes):
                notes.append('AUC nan: only one class present in the ground truth')
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        f'decision: probability >= {threshold}; PA+LAT: one decision per study (mean of both views, '
        'positive if either view is)'
    ]
    lines += [
        '  '.join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
        for r in rows
    ]
    return lines + [f'note: {n}' for n in notes]


def plot_roc(inputs: list[tuple[str, Evaluation]], ensemble: Evaluation, out: Path, dpi: int = 120) -> None:
    """One ROC panel per view and PA+LAT: every input's curve and the ensemble's (black)."""
    groups = [g for g, m in groups_of(ensemble).items() if m is not None]
    fig, axes = plt.subplots(1, len(groups), figsize=(5.5 * len(groups), 5.5), squeeze=False)
    for ax, group in zip(axes[0], groups):
        for i, (name, evaluation) in enumerate([*inputs, ('ensemble', ensemble)]):
            if group == PAIRED:
                if evaluation.paired is None:
                    continue
                labels, scores = [s.label for s in evaluation.studies], [s.score for s in evaluation.studies]
            else:
                seqs = by_view(evaluation.sequences).get(group)
                if not seqs:
                    continue
                labels, scores = [s.label for s in seqs], [s.score for s in seqs]
            roc = roc_from_scores(labels, scores)
            # one colour per input in every panel; the ensemble black
            style = (
                dict(color='black', linewidth=2.2) if i == len(inputs) else dict(color=f'C{i}', linewidth=1.2)
            )
            if math.isnan(roc.auc):
                ax.plot([], [], label=f'{name} (n={len(labels)}, AUC undefined: one class only)', **style)
            else:
                ax.plot(roc.fpr, roc.tpr, label=f'{name} (n={len(labels)}, AUC = {roc.auc:.3f})', **style)
        ax.plot([0, 1], [0, 1], linestyle='--', color='grey', linewidth=0.8)
        title = 'PA+LAT (one decision per study)' if group == PAIRED else f'{group} sequences'
        ax.set(xlabel='false positive rate', ylabel='true positive rate', xlim=(-0.02, 1.02),
               ylim=(-0.02, 1.02), title=title)  # fmt: skip
        ax.grid(True, alpha=0.3)
        ax.set_aspect('equal')
        ax.legend(loc='lower right', fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)


def flat_metrics(evaluation: Evaluation) -> dict:
    return {
        f'{group}/{key}': m.to_dict()[key]
        for group, m in groups_of(evaluation).items()
        if m is not None
        for key in METRIC_KEYS
    }


def json_document(
    paths: list[str], names: list[str], inputs: list[tuple[str, Evaluation]], ensemble: Evaluation,
    threshold: float, file_thresholds: list[float | None],
) -> dict:  # fmt: skip
    """The ``--json`` document: a classifier result file of the ensemble plus every number."""
    sequences = [
        dict(video_id=s.video_id, file_name=s.file_name, study_id=s.study_id, view=s.view, label=s.label,
             score=s.score, pred=int(s.score >= threshold), num_models=len(s.scores), models=s.sources)
        for s in ensemble.sequences
    ]  # fmt: skip
    studies = [
        dict(study=s.key, label=s.label, score=s.score, pred=int(s.score >= threshold), views=s.views,
             video_ids=s.video_ids, complete=s.complete)
        for s in ensemble.studies
    ]  # fmt: skip
    return {
        'sequences': sequences,
        'metrics': flat_metrics(ensemble),
        'settings': {'threshold': threshold, 'inputs': paths, 'names': names},
        'num_sequences': len(sequences),
        'studies': studies,
        'ensemble': ensemble.to_dict(),
        'inputs': [
            {'path': p, 'name': n, 'threshold_in_file': t, **e.to_dict()}
            for p, n, t, (_, e) in zip(paths, names, file_thresholds, inputs)
        ],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = args.names or short_names(args.results)
    if len(names) != len(args.results):
        print(f'ensemble.py: error: {len(names)} --names for {len(args.results)} files', file=sys.stderr)
        return 2
    try:
        docs = [load_classification_results(path) for path in args.results]
        ensemble = evaluate(docs, args.results, args.threshold, require_pairs=args.require_pairs)
        inputs = [
            (name, evaluate([doc], [path], args.threshold))
            for name, doc, path in zip(names, docs, args.results)
        ]
    except (OSError, ClassificationResultsError, EnsembleError) as e:
        print(f'ensemble.py: error: {e}', file=sys.stderr)
        return 1
    # names in the ensemble's per-sequence model lists rather than paths
    to_name = dict(zip(args.results, names))
    for s in ensemble.sequences:
        s.sources = [to_name[p] for p in s.sources]

    file_thresholds = [(doc.get('settings') or {}).get('threshold') for doc in docs]
    for name, t in zip(names, file_thresholds):
        if t is not None and t != args.threshold:
            print(
                f'note: {name} was thresholded at {t} by its metric; every number here uses {args.threshold}'
            )
    per_view = {
        v: sorted({src for s in seqs for src in s.sources}) for v, seqs in by_view(ensemble.sequences).items()
    }
    print('ensemble: ' + '; '.join(f'{v}: {len(m)} model(s) ({", ".join(m)})' for v, m in per_view.items()))
    for view, seqs in by_view(ensemble.sequences).items():
        counts = sorted({len(s.scores) for s in seqs})
        if len(counts) > 1:
            print(f'warning: {view} sequences are scored by different numbers of models ({counts})')
    single = ensemble.single_view_studies
    if single:
        example = ', '.join(f'{s.key} ({"/".join(s.views)})' for s in single[:3])
        print(
            f'warning: {len(single)} of {len(ensemble.studies)} studies have no PA+LAT pair '
            f'(e.g. {example}); their paired probability is that of the view(s) they have'
        )
    print('\n'.join(report_lines(inputs, ensemble, args.threshold)))

    plot_path = args.plot or (str(Path(args.out_dir) / 'roc.png') if args.out_dir else None)
    json_path = args.json or (str(Path(args.out_dir) / 'ensemble.json') if args.out_dir else None)
    if plot_path:
        plot_roc(inputs, ensemble, Path(plot_path))
        print(f'wrote {plot_path}')
    if json_path:
        doc = json_document(args.results, names, inputs, ensemble, args.threshold, file_thresholds)
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(doc, indent=1, allow_nan=False) + '\n', encoding='utf-8')
        print(f'wrote {json_path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
