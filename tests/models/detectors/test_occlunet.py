"""OccluNet detector: shapes, training, whole-sequence inference on cached features, rescaling, tracks."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from torch import nn

from occlunet.models.detectors import OccluNet
from occlunet.models.trackers import Track

T = 3  # window length
IN_FRAMES = 3  # neighbour stack as channels
SIZE = 64
TEMPORAL_TYPES = ('TemporalAttention', 'DividedSpaceTimeAttention')


@pytest.fixture(autouse=True)
def mmdet_scope() -> Iterator[None]:
    """The detector builds its data preprocessor through mmengine's registry, as under a Runner."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def model_cfg(
    temporal_type: str = 'TemporalAttention',
    num_classes: int = 1,
    score_thr: float = 0.01,
    tracker: dict | None = None,
    feat_chunk_size: int = 4,
) -> dict:
    temporal = dict(type=temporal_type, num_layers=1, num_heads=4)
    if temporal_type == 'DividedSpaceTimeAttention':
        temporal |= dict(spatial_mode='window', window_size=4)
    return dict(
        type='OccluNet',
        data_preprocessor=dict(type='SequenceDataPreprocessor', mean=0.5, std=0.25, pad_size_divisor=32),
        backbone=dict(
            type='MultiFrameCSPDarknet', in_frames=IN_FRAMES, deepen_factor=0.33, widen_factor=0.125
        ),
        neck=dict(type='YOLOXPAFPN', in_channels=[32, 64, 128], out_channels=16, num_csp_blocks=1),
        temporal_neck=dict(
            type='TemporalNeck', in_channels=[16, 16, 16], num_frames=T, embed_dims=16, temporal_cfg=temporal
        ),
        bbox_head=dict(
            type='YOLOXHead', num_classes=num_classes, in_channels=16, feat_channels=16, stacked_convs=1
        ),
        tracker=tracker,
        feat_chunk_size=feat_chunk_size,
        train_cfg=dict(assigner=dict(type='SimOTAAssigner', center_radius=2.5)),
        test_cfg=dict(score_thr=score_thr, nms=dict(type='nms', iou_threshold=0.65), max_per_img=20),
    )


def build(seed: int = 0, perturb_temporal: bool = False, **kwargs) -> OccluNet:
    torch.manual_seed(seed)
    model = MODELS.build(model_cfg(**kwargs))
    model.init_weights()
    if perturb_temporal:  # a 'trained' temporal neck: non-zero temporal projections, frames mix
        with torch.no_grad():
            for p in model.temporal_neck.parameters():
                p.add_(torch.randn_like(p) * 0.5)
    return model


def calibrated(model: OccluNet, seed: int = 0) -> OccluNet:
    """The model in eval mode with BN statistics of real activations.

    At init the BN running statistics are (0, 1) and the Kaiming-uniform weights shrink activations layer
    by layer: in eval mode P5 features are ~1e-9 and every input gives nearly the same predictions, which
    would make the comparisons below vacuous. One train-mode pass with cumulative BN averages fixes it.
    """
    gen = torch.Generator().manual_seed(seed)
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over the calibration pass
    model.train()
    with torch.no_grad():
        model._forward(torch.rand(4, T, IN_FRAMES, SIZE, SIZE, generator=gen))
    for norm in norms:
        norm.momentum = 0.03
    return model.eval()


def window_sample(frame_id: int, boxes: list[list[float]] | None = None, **meta) -> DetDataSample:
    sample = DetDataSample()
    boxes = boxes or []
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        labels=torch.zeros(len(boxes), dtype=torch.long),
    )
    info = dict(
        video_id=0,
        frame_id=frame_id,
        img_shape=(SIZE, SIZE),
        ori_shape=(SIZE, SIZE),
        scale_factor=(1.0, 1.0),
        flip=False,
        flip_direction=None,
    )
    sample.set_metainfo(info | meta)
    return sample


def sequence_sample(num_frames: int, **meta) -> DetDataSample:
    sample = window_sample(0, **meta)
    sample.set_metainfo(dict(frame_id=None, frame_ids=list(range(num_frames)), num_frames=num_frames) | meta)
    return sample


def windows_of(sequence: torch.Tensor, centres: list[int]) -> torch.Tensor:
    """Explicit windows (replicate padding at the ends). Shape: (S, C, H, W) -> (K, T, C, H, W)."""
    index = torch.tensor(
        [[min(max(t + k - T // 2, 0), len(sequence) - 1) for k in range(T)] for t in centres]
    )
    return sequence[index]


def moving_square_batch() -> tuple[list[torch.Tensor], list[DetDataSample]]:
    """Two windows: a bright and a dark square moving right across the frames, box on the centre frame."""
    inputs, samples = [], []
    for value in (1.0, 0.0):
        clip = torch.full((T + 2, SIZE, SIZE), 0.5)  # frames -1 .. T of the window, for the neighbour stack
        for f in range(T + 2):
            x0 = 12 + 4 * f
            clip[f, 24:40, x0 : x0 + 16] = value
        window = torch.stack([clip[t : t + IN_FRAMES] for t in range(T)])  # (T, IN_FRAMES, H, W)
        x0 = 12 + 4 * (T // 2 + 1)
        inputs.append(window)
        samples.append(window_sample(T // 2, [[x0, 24, x0 + 16, 40]]))
    return inputs, samples


@pytest.mark.parametrize('num_classes', [1, 5])
@pytest.mark.parametrize('temporal_type', TEMPORAL_TYPES)
def test_shapes_through_every_module(temporal_type: str, num_classes: int) -> None:
    model = build(temporal_type=temporal_type, num_classes=num_classes)
    inputs, samples = moving_square_batch()
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), True)
    x = data['inputs']
    assert x.shape == (2, T, IN_FRAMES, SIZE, SIZE)

    frames = x.flatten(0, 1)
    backbone = model.backbone(frames)
    assert [tuple(f.shape) for f in backbone] == [(6, 32, 8, 8), (6, 64, 4, 4), (6, 128, 2, 2)]
    neck = model.neck(backbone)
    assert [tuple(f.shape) for f in neck] == [(6, 16, 8, 8), (6, 16, 4, 4), (6, 16, 2, 2)]
    fused = model.temporal_neck(neck)
    assert [tuple(f.shape) for f in fused] == [(2, 16, 8, 8), (2, 16, 4, 4), (2, 16, 2, 2)]
    cls, reg, obj = model._forward(x)
    assert [tuple(c.shape) for c in cls] == [(2, num_classes, s, s) for s in (8, 4, 2)]
    assert [tuple(r.shape) for r in reg] == [(2, 4, s, s) for s in (8, 4, 2)]
    assert [tuple(o.shape) for o in obj] == [(2, 1, s, s) for s in (8, 4, 2)]

    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_obj'}
    assert all(torch.isfinite(v) for v in losses.values())

    model.eval()
    with torch.no_grad():
        results = model(**model.data_preprocessor(dict(inputs=inputs, data_samples=samples)), mode='predict')
    for result in results:
        pred = result.pred_instances
        assert pred.bboxes.shape[1:] == (4,) and len(pred.scores) == len(pred.labels) == len(pred.bboxes)
        assert len(pred) <= 20  # max_per_img
        assert ((pred.labels >= 0) & (pred.labels < num_classes)).all()


def test_loss_is_finite_and_falls_on_a_moving_square() -> None:
    model = build(temporal_type='TemporalAttention')
    inputs, samples = moving_square_batch()
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), True)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    history = []
    for _ in range(20):
        losses = model(**data, mode='loss')
        loss = sum(losses.values())
        assert torch.isfinite(loss)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    assert np.mean(history[-3:]) < 0.7 * history[0], history


@pytest.mark.parametrize('temporal_type', TEMPORAL_TYPES)
def test_sequence_runs_the_backbone_once_per_frame_and_equals_windows(temporal_type: str) -> None:
    """The key test of the feature cache: S backbone frames (not S*T), every frame predicted, equal to
    the predictions on explicit windows centred on each frame (replicate padding at the ends)."""
    model = calibrated(build(temporal_type=temporal_type, score_thr=0.0, perturb_temporal=True))
    num = 10
    torch.manual_seed(1)
    sequence = torch.rand(num, IN_FRAMES, SIZE, SIZE)

    seen = []
    forward = model.backbone.forward
    model.backbone.forward = lambda x: seen.append(len(x)) or forward(x)
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=[sequence], data_samples=[sequence_sample(num)]))
        result = model(**data, mode='predict')[0]
    assert sum(seen) == num and max(seen) <= model.feat_chunk_size  # chunks of 4: 4 + 4 + 2
    pred = result.pred_instances
    assert sorted(pred.frame_ids.unique().tolist()) == list(range(num))
    assert result.pred_tracks == []  # no tracker configured

    seen.clear()
    with torch.no_grad():
        for start in range(0, num, 5):
            centres = list(range(start, start + 5))
            data = model.data_preprocessor(
                dict(
                    inputs=list(windows_of(sequence, centres)),
                    data_samples=[window_sample(t) for t in centres],
                )
            )
            for t, window in zip(centres, model(**data, mode='predict')):
                expected = window.pred_instances
                got = pred[pred.frame_ids == t]
                assert len(got) == len(expected) > 0, t
                torch.testing.assert_close(got.bboxes, expected.bboxes, rtol=1e-4, atol=1e-4)
                torch.testing.assert_close(got.scores, expected.scores, rtol=1e-4, atol=1e-5)
                assert torch.equal(got.labels, expected.labels)
    assert sum(seen) == num * T  # the windowed path runs every frame of every window


def test_padded_batch_of_sequences_predicts_each_on_its_own() -> None:
    model = calibrated(build(score_thr=0.0))
    torch.manual_seed(2)
    short, long = torch.rand(4, IN_FRAMES, SIZE, SIZE), torch.rand(7, IN_FRAMES, SIZE, SIZE)
    with torch.no_grad():
        data = model.data_preprocessor(
            dict(inputs=[short, long], data_samples=[sequence_sample(4), sequence_sample(7)])
        )
        both = model(**data, mode='predict')
        alone = model(
            **model.data_preprocessor(dict(inputs=[short], data_samples=[sequence_sample(4)])), mode='predict'
        )
    assert both[0].pred_instances.frame_ids.max() == 3 and both[1].pred_instances.frame_ids.max() == 6
    torch.testing.assert_close(both[0].pred_instances.bboxes, alone[0].pred_instances.bboxes)


def test_boxes_are_mapped_to_dicom_pixels_for_detections_and_tracks() -> None:
    tracker = dict(type='TrajectoryLinker', radius=1000.0, score_thr=0.0)
    model = calibrated(build(score_thr=0.0, tracker=tracker))
    torch.manual_seed(3)
    sequence = torch.rand(6, IN_FRAMES, SIZE, SIZE)

    def run(**meta) -> DetDataSample:
        with torch.no_grad():
            data = model.data_preprocessor(dict(inputs=[sequence], data_samples=[sequence_sample(6, **meta)]))
            return model(**data, mode='predict')[0]

    base = run()
    # the input is half the DICOM size (HalfResolution / ResizeSequence): scale_factor 0.5 -> boxes doubled
    half = run(scale_factor=(0.5, 0.5), ori_shape=(2 * SIZE, 2 * SIZE))
    torch.testing.assert_close(half.pred_instances.bboxes, 2 * base.pred_instances.bboxes)
    assert torch.equal(half.pred_instances.frame_ids, base.pred_instances.frame_ids)
    assert base.pred_tracks and all(isinstance(t, Track) for t in half.pred_tracks)
    assert [t.to_dict()['frame_ids'] for t in half.pred_tracks] == [
        t.to_dict()['frame_ids'] for t in base.pred_tracks
    ]
    for ours, ref in zip(half.pred_tracks, base.pred_tracks):
        np.testing.assert_allclose(ours.bboxes, 2 * ref.bboxes, rtol=1e-6)
        np.testing.assert_allclose(ours.scores, ref.scores)
        assert ours.track_id == ref.track_id
    # scale_factor 2 (input twice the DICOM size): halved; anisotropic scale per axis
    double = run(scale_factor=(2.0, 4.0))
    torch.testing.assert_close(
        double.pred_instances.bboxes, base.pred_instances.bboxes / torch.tensor([2.0, 4, 2, 4])
    )
    # a recorded horizontal flip is undone: x -> W - x
    flipped = run(flip=True, flip_direction='horizontal')
    expected = base.pred_instances.bboxes[:, [2, 1, 0, 3]] * torch.tensor([-1.0, 1, -1, 1]) + torch.tensor(
        [SIZE, 0.0, SIZE, 0]
    )
    torch.testing.assert_close(flipped.pred_instances.bboxes, expected)
    # rescale=False keeps network-input pixels
    with torch.no_grad():
        data = model.data_preprocessor(
            dict(inputs=[sequence], data_samples=[sequence_sample(6, scale_factor=(0.5, 0.5))])
        )
        raw = model.predict(data['inputs'], data['data_samples'], rescale=False)[0]
    torch.testing.assert_close(raw.pred_instances.bboxes, base.pred_instances.bboxes)

    # window samples are mapped the same way
    window = list(windows_of(sequence, [2]))

    def run_window(**meta) -> DetDataSample:
        with torch.no_grad():
            data = model.data_preprocessor(dict(inputs=window, data_samples=[window_sample(2, **meta)]))
            return model(**data, mode='predict')[0]

    plain, scaled = run_window(), run_window(scale_factor=(0.5, 0.5))
    torch.testing.assert_close(scaled.pred_instances.bboxes, 2 * plain.pred_instances.bboxes)


def test_dataclasses_replace_on_track_revalidates() -> None:
    track = Track([0, 1], np.ones((2, 4)), [0.5, 0.5], [0, 0], track_id=3)
    moved = dataclasses.replace(track, bboxes=track.bboxes * 2)
    assert moved.track_id == 3 and moved.bboxes.dtype == np.float64 and (moved.bboxes == 2).all()
    with pytest.raises(ValueError, match='bboxes must have shape'):
        dataclasses.replace(track, bboxes=np.ones((3, 4)))


def test_fresh_occlunet2_mixes_no_frames() -> None:
    """Zero-initialised temporal projections: a fresh OccluNet2's target-frame features ignore the other
    frames of the window (the temporal sub-layer is the identity; the neck tests check it exactly)."""
    model = calibrated(build(temporal_type='DividedSpaceTimeAttention'))
    torch.manual_seed(4)
    x = torch.rand(2, T, IN_FRAMES, SIZE, SIZE)
    other = x.clone()
    other[:, [0, 2]] = torch.rand(2, 2, IN_FRAMES, SIZE, SIZE)
    with torch.no_grad():
        for a, b in zip(model.extract_feat(x), model.extract_feat(other)):
            torch.testing.assert_close(a, b, rtol=0, atol=1e-5)
        trained = calibrated(build(temporal_type='DividedSpaceTimeAttention', perturb_temporal=True))
        for a, b in zip(trained.extract_feat(x), trained.extract_feat(other)):
            assert (a - b).abs().max() > 1e-2 * a.abs().max()  # once trained, the other frames matter


def test_bad_inputs_raise() -> None:
    model = build().eval()
    with torch.no_grad():
        data = model.data_preprocessor(
            dict(
                inputs=[torch.rand(T, IN_FRAMES, SIZE, SIZE)] * 2,
                data_samples=[window_sample(1), sequence_sample(T)],
            )
        )
        with pytest.raises(ValueError, match='mixes window samples and whole sequences'):
            model(**data, mode='predict')
        with pytest.raises(ValueError, match='windows of 4 frames'):
            model.extract_feat(torch.rand(1, 4, IN_FRAMES, SIZE, SIZE))
    with pytest.raises(ValueError, match='feat_chunk_size'):
        build(feat_chunk_size=0)
