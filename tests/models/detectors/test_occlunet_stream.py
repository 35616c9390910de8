"""OccluNetStream: network inputs pushed one at a time give predict_sequence's detections and tracks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.registry import DefaultScope

from occlunet.models.detectors import OccluNetStream
from tests.models.tiny_occlunet import occlunet_cfg

SIZE = 64
META = dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE), scale_factor=(1.0, 1.0), flip=False)


@pytest.fixture(autouse=True)
def mmdet_scope() -> Iterator[None]:
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def build(temporal: str, num_frames: int = 3, target_index: int | None = None):
    """A tiny OccluNet, one input per backbone call in predict_sequence (the stream's batch)."""
    torch.manual_seed(0)
    cfg = occlunet_cfg(temporal, num_frames, target_index)
    cfg.update(
        tracker=dict(type='TrajectoryLinker', radius=1000.0, score_thr=0.0),
        feat_chunk_size=1,
        test_cfg=dict(cfg['test_cfg'], max_per_img=5),
    )
    model = MODELS.build(cfg)
    with torch.no_grad():  # frames mix (OccluNet2's temporal projections start at zero)
        for p in model.temporal_neck.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model.eval()


def sample(num: int) -> DetDataSample:
    return DetDataSample(metainfo=dict(META, frame_id=None, frame_ids=list(range(num)), num_frames=num))


@pytest.mark.parametrize(
    ('temporal', 'num_frames', 'target_index'),
    [
        ('TemporalAttention', 3, None),
        ('DividedSpaceTimeAttention', 3, None),
        ('TemporalAttention', 4, -1),  # causal window: no delay
        ('TemporalAttention', 1, None),  # identity neck
    ],
)
@pytest.mark.parametrize('num', [1, 2, 5])
def test_stream_equals_predict_sequence(temporal: str, num_frames: int, target_index: int | None, num: int):
    model = build(temporal, num_frames, target_index)
    torch.manual_seed(1)
    inputs = torch.rand(num, 3, SIZE, SIZE) * 4 - 2  # preprocessed stacks
    with torch.no_grad():
        expected = model.predict_sequence(inputs, sample(num))
        stream = OccluNetStream(model, META)
        delay = num_frames - 1 - model.temporal_neck.target_index
        emitted = []
        for j, x in enumerate(inputs):
            done = stream.push(x)
            assert [frame for frame, _ in done] == ([j - delay] if j >= delay else [])
            emitted += done
        emitted += stream.finish()
        got = stream.result(sample(num))
    assert [frame for frame, _ in emitted] == list(range(num))
    torch.testing.assert_close(got.pred_instances.bboxes, expected.pred_instances.bboxes, rtol=0, atol=1e-5)
    torch.testing.assert_close(got.pred_instances.scores, expected.pred_instances.scores, rtol=0, atol=1e-6)
    assert torch.equal(got.pred_instances.frame_ids, expected.pred_instances.frame_ids)
    assert [t.frame_ids.tolist() for t in got.pred_tracks] == [
        t.frame_ids.tolist() for t in expected.pred_tracks
    ]
    assert all(len(ring) == num_frames for ring in stream._ring)  # only T inputs' features are kept


def test_stream_misuse_is_reported():
    model = build('TemporalAttention')
    stream = OccluNetStream(model, META)
    with pytest.raises(ValueError, match='before any input'):
        stream.finish()
    with torch.no_grad():
        stream.push(torch.rand(3, SIZE, SIZE))
    with pytest.raises(ValueError, match='finish'):
        stream.result(sample(1))
    with pytest.raises(ValueError, match='one input'):
        stream.push(torch.rand(2, 3, SIZE, SIZE))
