"""Mean ± sd of MCC and ROC AUC over cross-validation folds of the sequence classifier.

    python tools/analysis/cv_summary.py WORK/fold*/results.json [--threshold T] [--json OUT]

Each file is a classifier result file of one fold (``tools/test.py CONFIG CKPT --out results.json``, as
``tools/cross_validate.sh`` writes them). MCC, AUC, sensitivity and specificity are computed from its
``sequences`` (``label``, ``score``; decision ``score >= T``, ``T`` = ``--threshold``, else the file's
``settings.threshold``, else 0.5) with scikit-learn, independent of the metric's key names: over all
sequences, per view, and for the paired PA+LAT decision per study (as ``tools/ensemble.py``). Prints one
row per fold and the mean ± sample sd (ddof=1) over the folds where a metric is defined. Exit code 1 on an
unreadable file. Logic: ``occlunet/evaluation/stats/cross_validation.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from occlunet.evaluation.stats import (
    ClassificationResultsError,
    EnsembleError,
    fold_metrics,
    load_classification_results,
    short_names,
    summarize_folds,
)
from occlunet.evaluation.stats.cross_validation import ALL_SEQUENCES

DEFAULT_THRESHOLD = 0.5


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('results', nargs='+', metavar='RESULTS.json', help='one classifier result file per fold')
    ap.add_argument('--threshold', type=float, help="decision threshold (default: each file's, else 0.5)")
    ap.add_argument('--json', metavar='OUT', help='also write the per-fold numbers and the summary')
    return ap.parse_args(argv)


def _num(x: float) -> str:
    return 'nan' if math.isnan(x) else f'{x:.3f}'


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = short_names(args.results)
    per_fold, thresholds = [], []
    try:
        for path in args.results:
            doc = load_classification_results(path)
            t = args.threshold
            if t is None:
                t = (doc.get('settings') or {}).get('threshold', DEFAULT_THRESHOLD)
            thresholds.append(float(t))
            per_fold.append(fold_metrics(doc, float(t), path))
    except (OSError, ClassificationResultsError, EnsembleError) as e:
        print(f'cv_summary.py: error: {e}', file=sys.stderr)
        return 1
    summary = summarize_folds(per_fold)

    header = ('fold', 'group', 'n', 'pos', 'neg', 'MCC', 'AUC', 'sens', 'spec')
    rows = [header]
    for name, metrics in zip(names, per_fold):
        for group, m in metrics.items():
            rows.append((name, group, str(m.n), str(m.num_positive), str(m.num_negative), _num(m.mcc),
                         _num(m.auc), _num(m.sensitivity), _num(m.specificity)))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    used = ', '.join(sorted(set(map(str, thresholds))))
    print(f'{len(args.results)} folds; decision: probability >= threshold ({used})')
    for r in rows:
        print('  '.join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    print(f'mean ± sd over {len(args.results)} folds:')
    group_width = max(len(g) for g in summary)
    for group, stats in summary.items():
        print(f'  {group:<{group_width}}  MCC {stats["mcc"].format()}   AUC {stats["auc"].format()}')
    if ALL_SEQUENCES in summary and summary[ALL_SEQUENCES]['auc'].n < len(per_fold):
        print('note: AUC is undefined on a fold with one ground-truth class only; left out of the mean')

    if args.json:
        doc = {
            'files': list(args.results),
            'thresholds': thresholds,
            'folds': [
                {'file': path, 'metrics': {g: m.to_dict() for g, m in metrics.items()}}
                for path, metrics in zip(args.results, per_fold)
            ],
            'summary': {g: {k: v.to_dict() for k, v in stats.items()} for g, stats in summary.items()},
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(doc, indent=1, allow_nan=False) + '\n', encoding='utf-8')
        print(f'wrote {args.json}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
