"""McNemar's test: do two models differ in per-sequence correctness on the same test sequences?

    python tools/analysis/mcnemar.py A.json B.json [--names A B] [--json OUT]

``A.json`` and ``B.json`` are result files of ``tools/test.py CONFIG CKPT --out results.json``
(``SequenceDetectionMetric``). Their sequences are paired by ``(file_name, video_id)``; the two files
must hold the same sequences (else an error naming the unmatched ones, exit code 1). A sequence is correct
when its outcome is TP or TN. Prints the 2x2 table (both correct / only A / only B / both wrong), the
two-sided exact binomial p-value on the discordant pairs and the continuity-corrected chi-square
``(|b - c| - 1)^2 / (b + c)`` with its p-value (1 dof); without discordant pairs both p-values are 1 and
chi-square is 0. ``--json OUT`` also writes the result (counts, p-values, the discordant sequences).
Details: ``occlunet/evaluation/stats/mcnemar.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from occlunet.evaluation.stats import (
    McNemarResult,
    is_correct,
    load_results,
    mcnemar_test,
    paired_correctness,
    sequence_key,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('results_a', metavar='A.json', help='result file of model A (tools/test.py --out)')
    ap.add_argument('results_b', metavar='B.json', help='result file of model B')
    ap.add_argument('--names', nargs=2, metavar=('A', 'B'), help='model names (default: the file names)')
    ap.add_argument('--json', metavar='OUT', help='also write the result to this JSON file')
    return ap.parse_args(argv)


def default_names(path_a: str, path_b: str) -> tuple[str, str]:
    """The file stems, or the paths where the stems coincide."""
    stem_a, stem_b = Path(path_a).stem, Path(path_b).stem
    return (stem_a, stem_b) if stem_a != stem_b else (path_a, path_b)


def report(result: McNemarResult, names: tuple[str, str]) -> list[str]:
    """The printed lines: the 2x2 table, the accuracies and the tests."""
    name_a, name_b = names
    (both, b), (c, neither) = result.table
    n = result.n
    labels = ('both correct', f'only A correct ({name_a})', f'only B correct ({name_b})', 'both wrong')
    width = max(len(label) for label in labels)
    acc = lambda k: f'{k / n:.4f} ({k}/{n})' if n else 'n/a'  # noqa: E731
    return [
        f'McNemar test on {n} paired sequences (correct = outcome TP or TN); A = {name_a}, B = {name_b}',
        *(
            f'  {label:<{width}} {count:>6}{suffix}'
            for label, count, suffix in zip(labels, (both, b, c, neither), ('', '   b', '   c', ''))
        ),
        f'  accuracy: A {acc(both + b)}, B {acc(both + c)}',
        f'  discordant pairs: b = {b}, c = {c}'
        + ('  (none: the models cannot be told apart)' if not b + c else ''),
        f'  exact binomial p (two-sided, p = 0.5): {result.p_exact:.6g}',
        f'  chi2 (continuity-corrected, 1 dof): {result.chi2:.6g}, p = {result.p_chi2:.6g}',
    ]


def json_report(
    result: McNemarResult, names: tuple[str, str], paths: tuple[str, str], keys: list, docs: tuple[dict, dict]
) -> dict:
    """The ``--json`` document: the two models, the test and the discordant sequences with both outcomes."""
    by_key = [{sequence_key(s): s for s in doc['sequences']} for doc in docs]
    (both, b), (c, _) = result.table
    models = {
        label: dict(name=name, file=path, correct=correct, accuracy=correct / result.n if result.n else None)
        for label, name, path, correct in zip(('A', 'B'), names, paths, (both + b, both + c))
    }
    discordant = [
        dict(
            file_name=k[0],
            video_id=k[1],
            outcome_a=by_key[0][k]['outcome'],
            outcome_b=by_key[1][k]['outcome'],
        )
        for k in keys
        if is_correct(by_key[0][k]) != is_correct(by_key[1][k])
    ]
    return dict(
        test='McNemar',
        correct='outcome TP or TN',
        models=models,
        table_layout='[[both correct, only A correct (b)], [only B correct (c), both wrong]]',
        **result.to_dict(),
        discordant=discordant,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    paths = (args.results_a, args.results_b)
    names = tuple(args.names) if args.names else default_names(*paths)
    try:
        docs = (load_results(paths[0]), load_results(paths[1]))
        keys, correct_a, correct_b = paired_correctness(*docs, names=paths)
    except (OSError, ValueError) as e:  # ResultsFileError is a ValueError
        print(f'mcnemar.py: error: {e}', file=sys.stderr)
        return 1
    result = mcnemar_test(correct_a, correct_b)
    print('\n'.join(report(result, names)))
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(json_report(result, names, paths, keys, docs), indent=2))
        print(f'wrote {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
