"""Sequence-level occlusion detection metric: one verdict per DSA sequence from its best track."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from ..results_record import ResultGT, ResultSequence, ResultsFile, ResultTrack
from ..verdict import (
    SequenceOutcome,
    best_track,
    binary_mcc,
    judge_sequence,
    label_name,
    presence_score,
    roc_auc,
    xyxy_to_xywh,
)
from .detection_rates import detection_rates, harmonic_f1
from .sequence_record import sequence_record

# 0.01 (OccluNet's minimum confidence), then 0.05, 0.10, ..., 0.95.
DEFAULT_SWEEP_THRS: tuple[float, ...] = (0.01, *(round(0.05 * i, 2) for i in range(1, 20)))
COUNT_KEYS = ('tp', 'fp', 'fn', 'tn')


@METRICS.register_module()
class SequenceDetectionMetric(BaseMetric):
    """Sequence-level detection: does the best track of a sequence find its occlusion?

    Per sequence the *best track* is the highest-scoring track (trajectory score = sum of confidences
    times duration; ties: earlier first frame, then ``track_id``, then list order) among the tracks whose
    *confidence* (the mean of its detections' confidences) is ``>= score_thr``. Distances are measured in a
    reference frame whose long side is ``ref_size`` pixels: DICOM-pixel distances are multiplied by
    ``ref_size / max(H0, W0)``, so ``distance_thr`` means the same at any DICOM resolution (OccluNet's
    25 px were measured in its 512 px frames). With GT (one or more boxes):

    - TP if the best track's centre (of its confidence-weighted mean box) is within ``distance_thr``
      (inclusive) of the centre of *any* GT box of the track's class (of any GT box in single-class mode);
    - otherwise FN, and also FP if a track exists (an alarm at the wrong place or with the wrong class).

    Without GT: FP if a track exists, else TN. Precision = TP / (TP + FP), recall = TP / (TP + FN),
    F1 = 2 TP / (2 TP + FP + FN), NaN where the denominator is 0. Per class (multi-class mode only):
    recall under the sequence's GT class (the matched box's class on a hit, else the class of the GT box
    nearest to the track, else of the first GT box), precision under the best track's class. Presence
    metrics ignore place and class: ``mcc`` of (GT present) against (a track exists), 0 when undefined
    (as sklearn), and ``auc``, the ROC AUC of (GT present) against the sequence score, the best track's
    trajectory score (0 without a track), NaN with a warning unless both kinds of sequence are present.

    PR sweep: the best track is chosen once, at ``score_thr``; at a sweep threshold ``s`` it counts as
    existing only if its confidence is ``>= s``, and the outcomes are recomputed (a TP or FP becomes FN or
    TN as ``s`` rises, so TP and FP, hence recall, never increase). Thresholds below ``score_thr`` are
    dropped and ``score_thr`` itself is always included: the main result is the sweep entry at
    ``score_thr``. The sweep is logged, kept in :attr:`sweep` and written to ``out_file``.

    GT boxes arrive in network-input pixels; they are mapped to DICOM pixels (flip undone, then divided
    by ``scale_factor``) to be compared with the tracks, which the detector returns in DICOM pixels.

    Args:
        score_thr: minimum track confidence (mean detection confidence) for a track to count.
        distance_thr: hit radius between centres, in reference pixels.
        ref_size: long side, in pixels, of the reference frame of ``distance_thr``.
        single_class: ignore the class when matching; no per-class metrics.
        classes: class names for the per-class keys and the JSON; default ``dataset_meta['classes']``,
            else the label numbers.
        sweep_thrs: confidence thresholds of the PR sweep.
        out_file: when set, a JSON file with the settings, metrics, sweep and, per sequence, the GT boxes,
            the best track and all tracks (boxes as ``[x, y, w, h]`` in DICOM pixels) and the outcome
            (:class:`~occlunet.evaluation.results_record.ResultsFile`).
        extra_settings: recorded with the settings in ``out_file``, e.g. ``time_order`` and ``time_seed``
            of a test-time ablation (``tools/test.py --time-order``).
        collect_device, prefix, collect_dir: see mmengine's ``BaseMetric``; the prefix defaults to
            ``'sequence'``.

    Metric keys: ``sequence/{precision,recall,f1,mcc,auc,tp,fp,fn,tn}`` and, in multi-class mode,
    ``sequence/{precision,recall,f1}_<class name>``; all plain floats / ints.
    """

    default_prefix: str | None = 'sequence'

    def __init__(
        self,
        score_thr: float = 0.01,
        distance_thr: float = 25.0,
        ref_size: int = 512,
        single_class: bool = False,
        classes: Sequence[str] | None = None,
        sweep_thrs: Sequence[float] = DEFAULT_SWEEP_THRS,
        out_file: str | None = None,
        extra_settings: dict | None = None,
        collect_device: str = 'cpu',
        prefix: str | None = None,
        collect_dir: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        name = self.__class__.__name__
        if not 0.0 <= score_thr <= 1.0:
            raise ValueError(f'{name}: score_thr must be in [0, 1], got {score_thr}')
        if not distance_thr > 0:
            raise ValueError(f'{name}: distance_thr must be > 0, got {distance_thr}')
        if not ref_size > 0:
            raise ValueError(f'{name}: ref_size must be > 0, got {ref_size}')
        bad = [t for t in sweep_thrs if not 0.0 <= t <= 1.0]
        if bad:
            raise ValueError(f'{name}: sweep_thrs must lie in [0, 1], got {bad}')
        self.score_thr = float(score_thr)
        self.distance_thr = float(distance_thr)
        self.ref_size = float(ref_size)
        self.single_class = bool(single_class)
        self.classes = None if classes is None else tuple(classes)
        self.sweep_thrs = tuple(sorted({float(t) for t in sweep_thrs if t >= score_thr} | {self.score_thr}))
        self.out_file = out_file
        self.extra_settings = dict(extra_settings or {})
        self.sweep: list[dict] = []

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Keep each sequence's GT (in DICOM pixels) and tracks as plain python data."""
        for sample in data_samples:
            self.results.append(sequence_record(sample))

    # ----------------------------------------------------------------------------------------------
    def best_track(self, record: dict) -> dict | None:
        """The first (best-sorted) track whose confidence passes ``score_thr``, or None."""
        return best_track(record['tracks'], self.score_thr)

    def outcome(self, record: dict, threshold: float) -> SequenceOutcome:
        """The outcome of one sequence when its best track must have confidence ``>= threshold``."""
        best = best_track(record['tracks'], self.score_thr, sweep_thr=threshold)
        return judge_sequence(
            record['gt_bboxes'],
            record['gt_labels'],
            best,
            None if best is None else best['bbox'],
            record['ori_shape'],
            self.ref_size,
            self.distance_thr,
            self.single_class,
        )

    @staticmethod
    def counts(outcomes: Sequence[SequenceOutcome]) -> dict[str, int]:
        return {key: int(sum(getattr(o, key) for o in outcomes)) for key in COUNT_KEYS}

    def class_names(self, records: Sequence[dict]) -> tuple[str, ...]:
        """``classes``, else ``dataset_meta['classes']``, else ``'0'..'K-1'`` for the labels seen."""
        if self.classes is not None:
            return self.classes
        meta = self.dataset_meta or {}
        if meta.get('classes') is not None:
            return tuple(meta['classes'])
        labels = [lab for r in records for lab in r['gt_labels']] + [
            t['label'] for r in records for t in r['tracks']
        ]
        return tuple(str(i) for i in range(max(labels, default=-1) + 1))

    def check_labels(self, records: Sequence[dict], names: Sequence[str]) -> None:
        for record in records:
            labels = set(record['gt_labels']) | {t['label'] for t in record['tracks']}
            bad = sorted(lab for lab in labels if not 0 <= lab < len(names))
            if bad:
                raise ValueError(
                    f'{self.__class__.__name__}: video_id={record["video_id"]} ({record["file_name"]}): '
                    f'label(s) {bad} outside the {len(names)} classes {tuple(names)}'
                )

    def per_class(self, outcomes: Sequence[SequenceOutcome], names: Sequence[str]) -> dict[str, float]:
        metrics = {}
        for label, name in enumerate(names):
            by_gt = [o for o in outcomes if o.gt_class == label]
            by_pred = [o for o in outcomes if o.pred_class == label]
            tp_gt = sum(o.tp for o in by_gt)
            recall = detection_rates(tp_gt, 0, sum(o.fn for o in by_gt))['recall']
            precision = detection_rates(sum(o.tp for o in by_pred), sum(o.fp for o in by_pred), 0)[
                'precision'
            ]
            f1 = harmonic_f1(precision, recall)
            metrics.update({f'precision_{name}': precision, f'recall_{name}': recall, f'f1_{name}': f1})
        return metrics

    def presence(self, records: Sequence[dict]) -> dict[str, float]:
        """MCC of GT presence vs. track presence, ROC AUC of GT presence vs. the best track's score."""
        y_true = [int(len(r['gt_labels']) > 0) for r in records]
        best = [self.best_track(r) for r in records]
        mcc = binary_mcc(y_true, [int(b is not None) for b in best])
        auc = roc_auc(y_true, [presence_score(b) for b in best], warn=self.__class__.__name__)
        return dict(mcc=mcc, auc=auc)

    def sweep_entry(self, records: Sequence[dict], threshold: float) -> dict:
        counts = self.counts([self.outcome(r, threshold) for r in records])
        return dict(
            score_thr=threshold, **counts, **detection_rates(counts['tp'], counts['fp'], counts['fn'])
        )

    def compute_metrics(self, results: list) -> dict[str, float | int]:
        """Counts, precision/recall/F1 (overall and per class), MCC, AUC; the sweep and ``out_file``."""
        names = self.class_names(results)
        if not self.single_class:
            self.check_labels(results, names)
        outcomes = [self.outcome(r, self.score_thr) for r in results]
        counts = self.counts(outcomes)
        metrics: dict[str, float | int] = {
            **{k: float(v) for k, v in detection_rates(counts['tp'], counts['fp'], counts['fn']).items()},
            **self.presence(results),
            **counts,
        }
        if not self.single_class:
            metrics.update(self.per_class(outcomes, names))
        self.sweep = [self.sweep_entry(results, t) for t in self.sweep_thrs]
        self.log_sweep()
        if self.out_file is not None:
            self.write_json(results, outcomes, metrics, names)
        return metrics

    def log_sweep(self) -> None:
        lines = [
            'sequence detection PR sweep (best-track confidence >= thr):',
            'thr     tp   fp   fn   tn  P      R      F1',
        ]
        for e in self.sweep:
            lines.append(
                f'{e["score_thr"]:<6.3f} {e["tp"]:>4} {e["fp"]:>4} {e["fn"]:>4} {e["tn"]:>4}  '
                f'{e["precision"]:.4f} {e["recall"]:.4f} {e["f1"]:.4f}'
            )
        print_log('\n'.join(lines), logger='current', level=logging.INFO)

    # ----------------------------------------------------------------------------------------------
    def track_json(self, track: dict, names: Sequence[str]) -> ResultTrack:
        return ResultTrack(
            bbox=xyxy_to_xywh(track['bbox']),
            label=track['label'],
            label_name=label_name(track['label'], names),
            score=track['score'],
            confidence=track['confidence'],
            passed=track['confidence'] >= self.score_thr,
            frame_ids=track['frame_ids'],
            track_id=track['track_id'],
        )

    def write_json(
        self,
        records: Sequence[dict],
        outcomes: Sequence[SequenceOutcome],
        metrics: dict,
        names: Sequence[str],
    ) -> None:
        sequences = []
        for record, outcome in zip(records, outcomes):
            best = self.best_track(record)
            sequences.append(
                ResultSequence(
                    video_id=record['video_id'],
                    file_name=record['file_name'],
                    img_path=record['img_path'],
                    ori_shape=record['ori_shape'],
                    gt_label=record['gt_label'],
                    gt=[
                        ResultGT(bbox=xyxy_to_xywh(box), label=lab, label_name=label_name(lab, names))
                        for box, lab in zip(record['gt_bboxes'], record['gt_labels'])
                    ],
                    best_track=None if best is None else self.track_json(best, names),
                    tracks=[self.track_json(t, names) for t in record['tracks']],
                    outcome=outcome.name,
                    gt_class=label_name(outcome.gt_class, names),
                    pred_class=label_name(outcome.pred_class, names),
                    distance=outcome.distance,
                )
            )
        prefix = self.prefix + '/' if self.prefix else ''
        document = ResultsFile(
            settings=dict(
                score_thr=self.score_thr,
                distance_thr=self.distance_thr,
                ref_size=self.ref_size,
                single_class=self.single_class,
                classes=list(names),
                confidence='mean detection confidence of a track',
                bbox_format='xywh, DICOM pixels',
                **self.extra_settings,
            ),
            num_sequences=len(records),
            metrics={prefix + k: v for k, v in metrics.items()},
            sweep=self.sweep,
            sequences=sequences,
        )
        path = document.write(self.out_file)
        print_log(f'{self.__class__.__name__}: wrote {len(records)} sequence(s) to {path}', logger='current')
