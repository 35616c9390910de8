"""Model outputs checked and bounded: boxes clipped to the image, NaN / inf a clear error naming the frame,
from hand-made outputs and from broken checkpoints on awkward runs (non-square, tiny, 1 and 2 frames)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from torch import nn

from occlunet.apis import NonFiniteOutputError, OutputGuard, SequenceInferencer, bound_sample, clip_boxes
from occlunet.apis.output_checks import first_non_finite, input_name
from occlunet.models.trackers import Track

from .conftest import FAST_OPTIONS, MINIP_CONFIG, OCCLUNET_CONFIG
from .degenerate_runs import explode_box_regression, nan_weights, save_checkpoint, write_run

HUGE = 1e11


def test_clip_boxes_and_first_non_finite():
    boxes = [[-5.0, 2.0, 200.0, 50.0], [10.0, -HUGE, 20.0, HUGE], [1.0, 2.0, 3.0, 4.0]]
    assert clip_boxes(boxes, height=40, width=160).tolist() == [
        [0.0, 2.0, 160.0, 40.0],
        [10.0, 0.0, 20.0, 40.0],
        [1.0, 2.0, 3.0, 4.0],
    ]
    assert clip_boxes(np.zeros((0, 4)), 4, 4).shape == (0, 4)
    assert first_non_finite(np.array([[1.0, 2.0], [3.0, np.inf], [np.nan, 0.0]])) == 1
    assert first_non_finite(torch.ones(3, 2, 4, 4)) is None
    assert input_name(3) == 'frame 3' and input_name(0, [[0, 1, 2]]) == 'the projection of frames 0-2'


class FakeHead(nn.Module):
    """Returns YOLOX-like (cls_scores, bbox_preds, objectnesses), two levels of (k, C, 2, 2)."""

    def forward(self, rows: torch.Tensor) -> tuple:
        k = len(rows)
        levels = lambda c: [rows.view(k, 1, 1, 1).expand(k, c, 2, 2).clone() for _ in range(2)]  # noqa: E731
        return levels(1), levels(4), levels(1)


class FakeModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bbox_head = FakeHead()


def test_output_guard_names_the_frame_across_calls():
    model = FakeModel()
    guard = OutputGuard(model)
    guard.start()
    model.bbox_head(torch.zeros(2))  # frames 0-1
    with pytest.raises(NonFiniteOutputError, match=r'non-finite scores at frame 3 — is the checkpoint'):
        model.bbox_head(torch.tensor([0.0, float('nan'), 0.0]))  # frames 2-4, frame 3 bad
    guard.start([[0, 1, 2, 3]])  # a projection model: one input for 4 frames
    with pytest.raises(NonFiniteOutputError, match='the projection of frames 0-3'):
        model.bbox_head(torch.tensor([float('inf')]))
    guard.remove()
    model.bbox_head(torch.tensor([float('nan')]))  # no hook, no check


def whole_sequence_sample(bboxes: list, scores: list, frame_ids: list) -> DetDataSample:
    sample = DetDataSample(
        metainfo=dict(
            ori_shape=(40, 60), frame_ids=[0, 1, 2], num_frames=3, num_valid_frames=3, frame_id=None
        )
    )
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor(bboxes, dtype=torch.float32),
        scores=torch.tensor(scores),
        labels=torch.zeros(len(scores), dtype=torch.long),
        frame_ids=torch.tensor(frame_ids),
    )
    return sample


def test_bound_sample_clips_detections_and_tracks():
    sample = whole_sequence_sample([[-HUGE, 5.0, HUGE, 30.0], [10.0, 10.0, 20.0, 20.0]], [0.5, 0.5], [0, 1])
    sample.set_field([Track([0, 1], [[-HUGE, 5.0, HUGE, 30.0], [0.0, 5.0, 60.0, 30.0]], [0.5, 0.5], [0, 0])],
                     'pred_tracks')  # fmt: skip
    bound_sample(sample)
    assert sample.pred_instances.bboxes.tolist() == [[0.0, 5.0, 60.0, 30.0], [10.0, 10.0, 20.0, 20.0]]
    (track,) = sample.pred_tracks
    assert track.bbox.tolist() == [0.0, 5.0, 60.0, 30.0]  # the mean of the clipped boxes


@pytest.mark.parametrize(
    ('bboxes', 'scores', 'message'),
    [
        ([[0.0, 0.0, 5.0, 5.0], [0.0, 0.0, np.inf, 5.0]], [0.5, 0.5], 'non-finite boxes at frame 2'),
        ([[0.0, 0.0, 5.0, 5.0], [0.0, 0.0, 5.0, 5.0]], [0.5, np.nan], 'non-finite scores at frame 2'),
    ],
)
def test_bound_sample_refuses_non_finite_detections(bboxes, scores, message):
    with pytest.raises(NonFiniteOutputError, match=message):
        bound_sample(whole_sequence_sample(bboxes, scores, [0, 2]))


# -- real models on awkward runs ---------------------------------------------------------------------
@pytest.fixture(scope='module')
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """160x128 (W x H) 8 frames, 40x48 tiny, 1 frame, 2 frames."""
    root = tmp_path_factory.mktemp('awkward_runs')
    return {
        'wide': write_run(root / 'wide.dcm', 8, height=128, width=160),
        'tiny': write_run(root / 'tiny.dcm', 5, height=48, width=40, seed=1),
        'one': write_run(root / 'one.dcm', 1, height=64, width=64, seed=2),
        'two': write_run(root / 'two.dcm', 2, height=64, width=64, seed=3),
    }


@pytest.fixture(scope='module')
def exploding(tmp_path_factory: pytest.TempPathFactory) -> SequenceInferencer:
    ckpt = save_checkpoint(
        OCCLUNET_CONFIG, tmp_path_factory.mktemp('exploding') / 'e.pth', explode_box_regression
    )
    return SequenceInferencer(OCCLUNET_CONFIG, ckpt, score_thr=0.0, cfg_options=FAST_OPTIONS)


def test_exploding_box_regression_gives_findings_inside_the_image(exploding, runs):
    for name, path in runs.items():
        result = exploding.predict_stream(path)
        height, width = result['ori_shape']
        boxes = np.array([b for d in result['detections'] for b in d['bboxes']])
        assert len(boxes) > 0, name
        assert (boxes >= 0).all() and (boxes[:, 0::2] <= width).all() and (boxes[:, 1::2] <= height).all()
        assert result['occlusion'] and result['best_track']['bbox'][2] <= width, name
        assert result['best_track']['bbox'] == pytest.approx([0.0, 0.0, width, height])  # boxes span it all
    whole, streamed = exploding.predict(runs['wide']), exploding.predict_stream(runs['wide'])
    assert [d['bboxes'] for d in whole['detections']] == [d['bboxes'] for d in streamed['detections']]
    assert whole['best_track']['bbox'] == pytest.approx(streamed['best_track']['bbox'])  # equal to rounding
    exploding.reset(exploding.intensity_range(np.full((3, 64, 64), 0.5, np.float32)))
    pushed = [exploding.push(np.full((64, 64), 0.5, np.float32)) for _ in range(3)]
    assert np.array(pushed[-1]['bboxes']).max() <= 64  # frame by frame too


def test_nan_checkpoint_is_one_clear_error_per_run(runs, tmp_path):
    ckpt = save_checkpoint(OCCLUNET_CONFIG, tmp_path / 'nan.pth', nan_weights)
    inferencer = SequenceInferencer(OCCLUNET_CONFIG, ckpt, cfg_options=FAST_OPTIONS)
    calls = [(inferencer.predict_stream, path) for path in runs.values()] + [
        (inferencer.predict, runs['wide'])
    ]
    for predict, path in calls:
        with pytest.raises(NonFiniteOutputError, match=r'^model produced non-finite \w+ at frame 0 — '):
            predict(path)
    minip = SequenceInferencer(MINIP_CONFIG, save_checkpoint(MINIP_CONFIG, tmp_path / 'm.pth', nan_weights),
                               cfg_options=FAST_OPTIONS)  # fmt: skip
    with pytest.raises(NonFiniteOutputError, match='the projection of frames 0-7'):
        minip.predict(runs['wide'])
