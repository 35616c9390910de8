"""Choose a detector's presence threshold (``score_thr``) on a validation result file.

    python tools/analysis/calibrate_threshold.py VAL.json [--criterion youden|f1|mcc|accuracy] [--json OUT]

``VAL.json`` is ``tools/test.py CONFIG CKPT --out VAL.json`` run on the *validation* split (e.g. with
``--cfg-options test_dataloader.dataset.ann_file=annotations/val.json``). Every track confidence in the
file is a candidate threshold; the one maximising the criterion (ties: the lowest) is printed on the last
line alone, ready for the test run:

    T=$(python tools/analysis/calibrate_threshold.py val.json | tail -1)
    python tools/test.py CONFIG CKPT --out test.json --cfg-options test_evaluator.score_thr=$T

Criteria: ``youden`` (default; Youden's J = TP / occluded runs + TN / open runs - 1, independent of the
share of occluded runs, which differs between splits), ``f1`` (the sequence-level detection F1, place and
class included; prefers alarming on every run when most runs are occluded), ``mcc`` (presence MCC: occluded
run vs. a track passes) or ``accuracy`` (share of correct runs, TP or TN, as McNemar counts).
Never choose the threshold on the test split. Details: ``occlunet/evaluation/stats/threshold.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from occlunet.evaluation.stats import ResultsFileError, load_results
from occlunet.evaluation.stats.threshold import CRITERIA, choose_threshold


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('results', metavar='VAL.json', help='validation-split result file (tools/test.py --out)')
    ap.add_argument('--criterion', choices=CRITERIA, default='youden', help='what the threshold maximises')
    ap.add_argument('--json', metavar='OUT', help='also write the choice (threshold, counts, rates) here')
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        document = load_results(args.results)
        choice = choose_threshold(document, args.criterion)
    except (FileNotFoundError, ResultsFileError, ValueError, KeyError) as e:
        print(f'calibrate_threshold: {args.results}: {e}', file=sys.stderr)
        return 1
    print(
        f'{args.results}: score_thr {choice.score_thr:.6g} maximises {choice.criterion} = {choice.value:.4f} '
        f'over {choice.candidates} candidates '
        f'(TP {choice.tp}, FP {choice.fp}, FN {choice.fn}, TN {choice.tn}; '
        f'P {choice.precision:.3f}, R {choice.recall:.3f}, F1 {choice.f1:.3f}, MCC {choice.mcc:.3f}, '
        f'J {choice.youden:.3f})'
    )
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(dict(choice.to_dict(), source=str(args.results)), indent=2))
    print(f'{choice.score_thr:.6g}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
