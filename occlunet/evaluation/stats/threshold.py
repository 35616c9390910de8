"""Choose a detector's presence threshold (the metric's ``score_thr``) on a validation result file.

An under-trained or differently calibrated detector can rank sequences well (ROC AUC) while every run
still gets a track at the default ``score_thr=0.01``; then precision equals the share of occluded runs and
MCC is 0 whatever the model. Choosing ``score_thr`` on the *validation* split and applying it unchanged to
the test split is the honest way to compare such models on precision, recall and MCC. The outcomes are
recomputed from the tracks in the file with the metric's exact rules (best track among the tracks whose
confidence passes the threshold, hit within ``distance_thr`` reference pixels, class in multi-class mode).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..metrics.detection_rates import detection_rates
from ..verdict import best_track, binary_mcc, judge_sequence, xywh_to_xyxy

CRITERIA = ('youden', 'f1', 'mcc', 'accuracy')


@dataclass(frozen=True)
class ThresholdChoice:
    """The chosen threshold, its counts and rates on the file it was chosen on, and the criterion."""

    score_thr: float
    criterion: str
    value: float
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    f1: float
    mcc: float
    accuracy: float
    youden: float
    candidates: int

    def to_dict(self) -> dict:
        return asdict(self)


def counts_at(document: dict, threshold: float) -> dict[str, int]:
    """TP/FP/FN/TN of a result file's sequences when ``score_thr`` is ``threshold``.

    The tracks of each sequence are stored best first, so the best track is the first one whose
    ``confidence`` is ``>= threshold`` (:func:`~occlunet.evaluation.verdict.best_track`)."""
    settings = document['settings']
    counts = dict(tp=0, fp=0, fn=0, tn=0)
    for seq in document['sequences']:
        best = best_track(seq.get('tracks', []), threshold)
        outcome = judge_sequence(
            [xywh_to_xyxy(g['bbox']) for g in seq['gt']],
            [g['label'] for g in seq['gt']],
            best,
            None if best is None else xywh_to_xyxy(best['bbox']),
            seq['ori_shape'],
            settings['ref_size'],
            settings['distance_thr'],
            settings['single_class'],
        )
        for key in counts:
            counts[key] += int(getattr(outcome, key))
    return counts


def presence_mcc(document: dict, threshold: float) -> float:
    """MCC of (GT present) against (a track passes ``threshold``), 0 when undefined and NaN without
    sequences (:func:`~occlunet.evaluation.verdict.binary_mcc`, as the metric's presence MCC)."""
    sequences = document['sequences']
    y_true = [int(len(seq['gt']) > 0) for seq in sequences]
    y_pred = [int(best_track(seq.get('tracks', []), threshold) is not None) for seq in sequences]
    return binary_mcc(y_true, y_pred)


def candidate_thresholds(document: dict) -> list[float]:
    """The file's ``score_thr`` and every track confidence above it: the only values where outcomes change,
    plus one just above the highest confidence (no track at all)."""
    low = float(document['settings']['score_thr'])
    confidences = {
        float(t['confidence'])
        for seq in document['sequences']
        for t in seq.get('tracks', [])
        if t['confidence'] >= low
    }
    candidates = sorted({low} | confidences)
    top = candidates[-1]
    if top < 1.0:
        candidates.append(float(np.nextafter(top, 2.0)))
    return candidates


def youden_index(counts: dict[str, int], positives: int, negatives: int) -> float:
    """Youden's J: TP / occluded runs + TN / open runs - 1 (a run is found only as a TP: right place and
    class). Unlike F1 and accuracy it does not depend on the share of occluded runs, which differs between
    splits; a kind of run that is absent adds 0."""
    sensitivity = counts['tp'] / positives if positives else 0.0
    specificity = counts['tn'] / negatives if negatives else 0.0
    return sensitivity + specificity - 1.0


def choose_threshold(document: dict, criterion: str = 'youden') -> ThresholdChoice:
    """The ``score_thr`` that maximises ``criterion`` on ``document`` (a validation result file).

    Args:
        document: a loaded ``SequenceDetectionMetric`` result file (``tools/test.py --out``) whose
            sequences hold all their tracks; thresholds below its own ``score_thr`` are not considered.
        criterion: ``'youden'`` (default; TP / occluded + TN / open runs - 1, see :func:`youden_index`:
            independent of the share of occluded runs, which differs between validation and test),
            ``'f1'`` (the sequence-level detection F1, place and class included; favours alarming on
            every run when most runs are occluded), ``'mcc'`` (presence MCC, place ignored) or
            ``'accuracy'`` (share of correct runs, TP or TN: what McNemar compares).

    Ties go to the lowest threshold (fewest missed runs).

    Raises:
        ValueError: unknown criterion, or a file without sequences.
    """
    if criterion not in CRITERIA:
        raise ValueError(f'choose_threshold: criterion must be one of {CRITERIA}, got {criterion!r}')
    if not document['sequences']:
        raise ValueError('choose_threshold: the result file has no sequences')
    candidates = candidate_thresholds(document)
    total = len(document['sequences'])
    positives = sum(1 for seq in document['sequences'] if seq['gt'])
    best: ThresholdChoice | None = None
    for thr in candidates:
        counts = counts_at(document, thr)
        rates = detection_rates(counts['tp'], counts['fp'], counts['fn'])
        scores = dict(
            youden=youden_index(counts, positives, total - positives),
            f1=0.0 if math.isnan(rates['f1']) else rates['f1'],
            mcc=presence_mcc(document, thr),
            accuracy=(counts['tp'] + counts['tn']) / total,
        )
        choice = ThresholdChoice(
            score_thr=thr,
            criterion=criterion,
            value=scores[criterion],
            **counts,
            precision=rates['precision'],
            recall=rates['recall'],
            f1=rates['f1'],
            mcc=scores['mcc'],
            accuracy=scores['accuracy'],
            youden=scores['youden'],
            candidates=len(candidates),
        )
        if best is None or choice.value > best.value:
            best = choice
    assert best is not None
    return best
