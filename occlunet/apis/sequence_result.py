"""A whole-sequence prediction (``DetDataSample`` with ``pred_instances`` and ``pred_tracks``) as plain data.

:func:`sequence_result` is the output of :class:`~occlunet.apis.SequenceInferencer` and what
``tools/infer.py`` and the ``SequenceVisualizationHook`` draw. Its keys:

``file``: the DICOM path (None for an array input).
``view``: ``'PA'``, ``'LAT'`` or ``'UNKNOWN'``.
``num_frames``: sequence length n.
``frame_rate``: frames per second from the DICOM frame times, or None.
``ori_shape``: [H, W] of the DICOM; every box below is xyxy in these (DICOM) pixels.
``classes``: the class names; ``labels`` index them.
``score_thr``: the minimum track confidence of a finding.
``projection``: True when the model saw one image for the whole sequence (MinIP baseline): its
    detections are listed on every frame and its tracks cover every frame.
``detections``: n dicts, one per frame t: ``frame_id`` (t), ``bboxes`` [[x1, y1, x2, y2], ...],
    ``scores`` [float, ...], ``labels`` [int, ...].
``tracks``: every linked track, best first (trajectory score descending, then first frame, then
    ``track_id``: :func:`~occlunet.evaluation.verdict.sort_tracks`): ``Track.to_dict()`` (``frame_ids``
    (model input index of each detection, = the frame index unless ``projection``), ``bbox``
    (confidence-weighted mean box), ``label``, ``score`` (sum of the confidences times the duration),
    ``scores``, ``track_id``) plus ``confidence`` (mean detection confidence), ``label_name`` and
    ``frames`` (the sequence frames the track covers).
``best_track``: the first track of ``tracks`` whose ``confidence >= score_thr``
    (:func:`~occlunet.evaluation.verdict.best_track`, as ``SequenceDetectionMetric`` chooses it), or None.
``occlusion``: ``best_track is not None``.
``score``: the best track's trajectory score, 0.0 without one (the metric's AUC score).
``confidence``: the best track's confidence, 0.0 without one.
``class_name``: the best track's ``label_name``, or None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from occlunet.evaluation.metrics.sequence_record import get_field, to_numpy
from occlunet.evaluation.verdict import best_track, label_name, presence_score, sort_tracks

DEFAULT_SCORE_THR = 0.01  # OccluNet's minimum confidence, SequenceDetectionMetric's default
BOX_DIM = 4


def evaluator_score_thr(cfg: Any) -> float | None:
    """The ``score_thr`` of the first metric of ``cfg.test_evaluator`` that sets one, else None."""
    evaluator = cfg.get('test_evaluator') if hasattr(cfg, 'get') else None
    if evaluator is None:
        return None
    if isinstance(evaluator, Mapping) and 'metrics' in evaluator:  # mmengine Evaluator(metrics=...)
        evaluator = evaluator['metrics']
    metrics = evaluator if isinstance(evaluator, list | tuple) else [evaluator]
    for metric in metrics:
        if isinstance(metric, Mapping) and metric.get('score_thr') is not None:
            return float(metric['score_thr'])
    return None


def input_frame_groups(num_inputs: int, frame_ids: Sequence[int]) -> list[list[int]]:
    """The sequence frames each model input image shows: one frame each (frame stacks, ``num_inputs ==
    len(frame_ids)``) or all of them (one projection image, ``num_inputs == 1``)."""
    frame_ids = [int(f) for f in frame_ids]
    if num_inputs == len(frame_ids):
        return [[f] for f in frame_ids]
    if num_inputs == 1:
        return [frame_ids]
    raise ValueError(
        f'sequence_result: {num_inputs} model input images for {len(frame_ids)} frames: expected one image '
        'per frame (NeighbourFrameStack) or one for the sequence (MinIntensityProjection)'
    )


def track_result(track: Any, classes: Sequence[str], groups: Sequence[Sequence[int]]) -> dict:
    """``track.to_dict()`` (a ``Track`` or such a dict) plus ``confidence``, ``label_name``, ``frames``."""
    entry = dict(track.to_dict() if hasattr(track, 'to_dict') else track)
    scores = [float(s) for s in entry['scores']]
    frame_ids = [int(f) for f in entry['frame_ids']]
    covered = sorted({f for i in frame_ids if 0 <= i < len(groups) for f in groups[i]})
    entry.update(
        frame_ids=frame_ids,
        bbox=[float(v) for v in entry['bbox']],
        label=int(entry['label']),
        score=float(entry['score']),
        scores=scores,
        track_id=int(entry.get('track_id', -1)),
        confidence=float(np.mean(scores)) if scores else 0.0,
        label_name=label_name(int(entry['label']), classes),
        frames=covered,
    )
    return entry


def frame_detections(instances: Any, num_frames: int, groups: Sequence[Sequence[int]]) -> list[dict]:
    """``pred_instances`` (with ``frame_ids``, model input indices) as one dict per sequence frame."""
    out = [dict(frame_id=t, bboxes=[], scores=[], labels=[]) for t in range(num_frames)]
    if instances is None:
        return out
    bboxes = get_field(instances, 'bboxes')
    if bboxes is None or len(bboxes) == 0:
        return out
    bboxes = to_numpy(bboxes).astype(np.float64).reshape(-1, BOX_DIM)
    scores = to_numpy(get_field(instances, 'scores')).astype(np.float64).reshape(-1)
    labels = to_numpy(get_field(instances, 'labels')).astype(np.int64).reshape(-1)
    inputs = get_field(instances, 'frame_ids')
    inputs = np.zeros(len(bboxes), np.int64) if inputs is None else to_numpy(inputs).astype(np.int64)
    for box, score, label, index in zip(bboxes, scores, labels, inputs.reshape(-1)):
        for t in groups[int(index)] if 0 <= index < len(groups) else ():
            if 0 <= t < num_frames:
                out[t]['bboxes'].append([float(v) for v in box])
                out[t]['scores'].append(float(score))
                out[t]['labels'].append(int(label))
    return out


def sequence_result(sample: Any, classes: Sequence[str] = (), score_thr: float = DEFAULT_SCORE_THR) -> dict:
    """The plain-data result of one whole-sequence data sample (see the module docstring).

    Args:
        sample: a ``DetDataSample`` after ``OccluNet.predict`` on a whole sequence (``frame_id`` None).
        classes: class names (labels outside them are named by their number).
        score_thr: minimum track confidence (mean detection confidence) of a finding.
    """
    meta = sample.metainfo
    if meta.get('frame_id') is not None:
        raise ValueError(
            f'sequence_result: {meta.get("img_path")} is a window sample (frame_id={meta["frame_id"]}); '
            'whole-sequence predictions need frame_id None (test_mode dataset / SequenceInferencer)'
        )
    tracks = sample.get('pred_tracks')
    if tracks is None:
        raise ValueError(
            'sequence_result: the data sample has no pred_tracks (not an OccluNet sequence model?)'
        )
    frame_ids = meta.get('frame_ids') or list(range(int(meta['num_frames'])))
    num_frames = int(meta.get('num_frames') or len(frame_ids))
    num_inputs = int(meta.get('num_valid_frames') or len(frame_ids))
    groups = input_frame_groups(num_inputs, frame_ids)
    classes = tuple(classes)
    entries = sort_tracks(track_result(t, classes, groups) for t in tracks)
    best = best_track(entries, score_thr)
    ori_shape = meta.get('ori_shape')
    return dict(
        file=meta.get('img_path'),
        view=meta.get('view'),
        num_frames=num_frames,
        frame_rate=None if meta.get('frame_rate') is None else float(meta['frame_rate']),
        ori_shape=None if ori_shape is None else [int(v) for v in tuple(ori_shape)[:2]],
        classes=list(classes),
        score_thr=float(score_thr),
        projection=num_inputs < len(frame_ids),
        detections=frame_detections(sample.get('pred_instances'), num_frames, groups),
        tracks=entries,
        best_track=best,
        occlusion=best is not None,
        score=presence_score(best),
        confidence=0.0 if best is None else best['confidence'],
        class_name=None if best is None else best['label_name'],
    )
