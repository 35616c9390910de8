"""PR and ROC curves of one or more models in one PNG (two panels).

    python tools/analysis/plot_curves.py results.json [results.json ...] [--names NAME ...] --out curves.png

Each ``results.json`` is a result file of ``tools/test.py CONFIG CKPT --out results.json``
(``SequenceDetectionMetric``). Left: the PR curve of each model from its confidence sweep (recall on x,
precision on y, one marker per threshold; thresholds where precision is undefined are skipped). Right:
the ROC curve of sequence presence (GT occlusion present) against the best track's score (0 without a
track), with the AUC in the legend (undefined, no curve, when the sequences are all of one kind).
Default names: the file stems (the paths where stems coincide).
Arrays: ``occlunet/evaluation/stats/curves.py``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt

from occlunet.evaluation.stats import load_results, pr_curve, roc_curve

matplotlib.use('Agg')  # files only, no display


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('results', nargs='+', metavar='results.json', help='result files (tools/test.py --out)')
    ap.add_argument('--names', nargs='+', metavar='NAME', help='one name per file (default: the file names)')
    ap.add_argument('--out', required=True, help='output PNG')
    ap.add_argument('--dpi', type=int, default=120)
    return ap.parse_args(argv)


def default_names(paths: list[str]) -> list[str]:
    """The file stems, or the paths when two stems coincide."""
    stems = [Path(p).stem for p in paths]
    return stems if len(set(stems)) == len(stems) else list(paths)


def plot(docs: list[dict], names: list[str], out: Path, dpi: int = 120) -> None:
    """Draw the PR (left) and ROC (right) panels of ``docs`` and save them to ``out``."""
    fig, (ax_pr, ax_roc) = plt.subplots(1, 2, figsize=(12, 5.5))
    for doc, name in zip(docs, names):
        pr = pr_curve(doc)
        ax_pr.plot(
            pr.recall, pr.precision, marker='o', markersize=4, label=f'{name} (n={doc["num_sequences"]})'
        )
        roc = roc_curve(doc)
        if math.isnan(roc.auc):
            ax_roc.plot([], [], label=f'{name} (AUC undefined: one kind of sequence only)')
        else:
            # straight segments between the points, as the AUC integrates them (ties give diagonals)
            ax_roc.plot(roc.fpr, roc.tpr, marker='.', label=f'{name} (AUC = {roc.auc:.3f})')
    ax_pr.set(
        xlabel='recall', ylabel='precision', xlim=(-0.02, 1.02), ylim=(-0.02, 1.02),
        title='sequence detection PR (best-track confidence sweep)',
    )  # fmt: skip
    ax_roc.plot([0, 1], [0, 1], linestyle='--', color='grey', linewidth=0.8)
    ax_roc.set(
        xlabel='false positive rate', ylabel='true positive rate', xlim=(-0.02, 1.02), ylim=(-0.02, 1.02),
        title='occlusion presence ROC (best-track score)',
    )  # fmt: skip
    for ax in (ax_pr, ax_roc):
        ax.grid(True, alpha=0.3)
        ax.set_aspect('equal')
        ax.legend(loc='lower left' if ax is ax_pr else 'lower right', fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = args.names or default_names(args.results)
    if len(names) != len(args.results):
        print(f'plot_curves.py: error: {len(names)} --names for {len(args.results)} files', file=sys.stderr)
        return 2
    try:
        docs = [load_results(path) for path in args.results]
    except (OSError, ValueError) as e:  # ResultsFileError is a ValueError
        print(f'plot_curves.py: error: {e}', file=sys.stderr)
        return 1
    out = Path(args.out)
    plot(docs, names, out, args.dpi)
    print(f'wrote {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
