"""Frame-by-frame inference (SequenceInferencer.reset / push / finish): the same detections and tracks as
the whole-sequence prediction, with a two-frame delay, holding only the last frames' features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from occlunet.apis import SequenceInferencer, StreamingError, load_results, load_sequence

from .conftest import FAST_OPTIONS, MINIP_CONFIG, REPO, save_init_checkpoint

CONFIGS = {
    'occlunet1': REPO / 'configs' / 'occlunet1_dsa_tiny.py',
    'occlunet2': REPO / 'configs' / 'occlunet2_dsa_tiny.py',
}
SIZE = 64  # network input
DELAY = 2  # neighbour stack k = 1, then a centred window of T = 3 stacks
TOL = 1e-5
REG_RANGE = 0.25  # largest box regression output on the calibration frames


def save_trained_like_checkpoint(config: Path, path: Path, seed: int = 0) -> Path:
    """Random weights that behave like trained ones on the test frames: BN statistics of their windows (at
    init every frame gives nearly the same output), OccluNet2's zero-initialised temporal projections
    perturbed (else frames would not mix), box regressions scaled to finite, frame-dependent boxes."""
    init = save_init_checkpoint(config, path, seed)
    inferencer = SequenceInferencer(config, init, cfg_options=FAST_OPTIONS, fuse=False)
    model = inferencer.model
    data = model.data_preprocessor(inferencer.preprocess(inferencer.load(frames_of(8, seed=5))))
    stacks = data['inputs'][0]  # (8, 3, SIZE, SIZE)
    windows = torch.stack([stacks[i : i + 3] for i in range(6)])  # (6, T, 3, SIZE, SIZE)
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over one pass
    model.train()
    with torch.no_grad():
        for name, p in model.temporal_neck.named_parameters():
            if 'temporal_attn.proj' in name:
                p.add_(torch.randn_like(p) * 0.05)
        model._forward(windows)
    for norm in norms:
        norm.momentum = 0.03
        norm.running_var.clamp_(min=0.1)  # channels nearly constant on these frames: no 1e3 gains
    model.eval()
    with torch.no_grad():  # box offsets of order 1, not 100 (exp(100) strides): finite boxes
        _, reg, _ = model.bbox_head(model.extract_feat(windows))
        for conv, out in zip(model.bbox_head.multi_level_conv_reg, reg):
            scale = out.abs().max() / REG_RANGE
            conv.weight.div_(scale)
            conv.bias.div_(scale)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


@pytest.fixture(scope='module')
def inferencers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SequenceInferencer]:
    """Per model: the default chunked whole-sequence path, and one computing one frame per backbone call
    (the stream's batch of one: the same float operations, so equal to the last bit)."""
    folder = tmp_path_factory.mktemp('stream_ckpt')
    out = {}
    for name, config in CONFIGS.items():
        ckpt = save_trained_like_checkpoint(config, folder / f'{name}.pth')
        for chunk in (1, 16):
            options = {**FAST_OPTIONS, 'model.feat_chunk_size': chunk}
            out[f'{name}/{chunk}'] = SequenceInferencer(config, ckpt, score_thr=0.0, cfg_options=options)
    return out


def frames_of(num: int, seed: int = 0) -> np.ndarray:
    """A moving dark blob on noise, 80 x 72 px (resized to 64 x 64 by the pipeline)."""
    rng = np.random.default_rng(seed)
    frames = 0.7 + 0.1 * rng.random((num, 80, 72), dtype=np.float32)
    for t in range(num):
        frames[t, 20 + 3 * t : 34 + 3 * t, 30:44] -= 0.5
    return np.clip(frames, 0.0, 1.0)


def stream(inferencer: SequenceInferencer, frames: np.ndarray) -> tuple[list, dict]:
    inferencer.reset(inferencer.intensity_range(frames))
    pushed = [inferencer.push(frame) for frame in frames]
    return pushed, inferencer.finish()


def assert_close_boxes(got: object, expected: object, tol: float) -> None:
    """Boxes within ``tol`` of their size (coordinates of a wide box are differences of large numbers)."""
    got, expected = np.reshape(got, (-1, 4)), np.reshape(expected, (-1, 4))
    scale = np.maximum(np.abs(expected).max(axis=1, initial=1.0, keepdims=True), 1.0)  # (K, 1)
    np.testing.assert_allclose(got / scale, expected / scale, rtol=0, atol=tol)


def assert_same_frame(got: dict, expected: dict, tol: float) -> None:
    assert got['frame_id'] == expected['frame_id']
    assert got['labels'] == expected['labels']
    assert_close_boxes(got['bboxes'], expected['bboxes'], tol)
    np.testing.assert_allclose(got['scores'], expected['scores'], rtol=tol, atol=tol)


def assert_same_result(got: dict, expected: dict, tol: float) -> None:
    plain = set(expected) - {'detections', 'tracks', 'best_track', 'score', 'confidence'}
    assert {k: got[k] for k in plain} == {k: expected[k] for k in plain}
    assert len(got['detections']) == len(expected['detections'])
    for a, b in zip(got['detections'], expected['detections']):
        assert_same_frame(a, b, tol)
    assert [t['frame_ids'] for t in got['tracks']] == [t['frame_ids'] for t in expected['tracks']]
    for a, b in zip(got['tracks'], expected['tracks']):
        assert a['label'] == b['label'] and a['track_id'] == b['track_id']
        assert_close_boxes(a['bbox'], b['bbox'], tol)
        np.testing.assert_allclose(a['scores'], b['scores'], rtol=tol, atol=tol)
    assert (got['best_track'] is None) == (expected['best_track'] is None)
    assert got['score'] == pytest.approx(expected['score'], rel=tol, abs=tol)


@pytest.mark.parametrize('model', list(CONFIGS))
@pytest.mark.parametrize('num', [1, 2, 3, 7])
def test_stream_equals_the_whole_sequence_prediction(inferencers, model: str, num: int) -> None:
    """Sequences shorter than the window (1, 2 frames) included: replicate padding at both ends."""
    inferencer = inferencers[f'{model}/1']
    frames = frames_of(num)
    expected = inferencer.predict(frames)
    pushed, result = stream(inferencer, frames)

    assert pushed[:DELAY] == [None] * min(DELAY, num)
    assert [p['frame_id'] for p in pushed[DELAY:]] == list(range(num - DELAY))  # frame i gives i - 2
    for got in pushed[DELAY:]:
        assert_same_frame(got, expected['detections'][got['frame_id']], TOL)
    assert_same_result(result, expected, TOL)
    assert sum(len(d['bboxes']) for d in result['detections']) > 0
    if num > 1:
        assert result['tracks'], 'score_thr 0: the model should link tracks'


@pytest.mark.parametrize('model', list(CONFIGS))
def test_stream_equals_the_chunked_sequence_path_to_float_rounding(inferencers, model: str) -> None:
    """The whole-sequence path runs 16 frames per backbone call, the stream one: oneDNN's convolutions round
    differently for other batch sizes (relative 1e-5 on the boxes), nothing else differs."""
    frames = frames_of(9, seed=1)
    expected = inferencers[f'{model}/16'].predict(frames)
    _, result = stream(inferencers[f'{model}/16'], frames)
    assert_same_result(result, expected, 1e-4)


def test_predict_stream_on_a_dicom_file(inferencers, dicom_paths) -> None:
    inferencer = inferencers['occlunet1/1']
    expected = inferencer.predict(dicom_paths[0])
    result = inferencer.predict_stream(dicom_paths[0])
    assert result['file'] == str(dicom_paths[0]) and result['view'] in ('PA', 'LAT')
    assert result['frame_rate'] == expected['frame_rate'] is not None
    assert_same_result(result, expected, TOL)


def test_intensity_range_is_the_pipelines(inferencers, dicom_paths) -> None:
    inferencer = inferencers['occlunet1/1']
    sequence = load_sequence(dicom_paths[1])
    packed = inferencer.pipeline.transforms[0](load_results(sequence))  # ResizeSequence
    expected = inferencer.pipeline.transforms[1](packed)['intensity_range']  # NormalizeIntensity
    assert inferencer.intensity_range(sequence.frames) == expected
    assert inferencer.intensity_range(iter(list(sequence.frames))) == expected  # any iterable


def test_stream_holds_only_the_last_frames(inferencers) -> None:
    inferencer = inferencers['occlunet2/1']
    frames = frames_of(12)
    inferencer.reset(inferencer.intensity_range(frames))
    for frame in frames:
        inferencer.push(frame)
    state = inferencer._stream
    assert len(state._frames) == 3  # prepared frames of one neighbour stack
    ring = state._detector._ring
    assert len(ring) == 3 and all(level.shape[0] == 3 for level in ring)  # features of T = 3 inputs
    assert inferencer.finish()['num_frames'] == 12


def test_reset_starts_a_new_sequence(inferencers) -> None:
    inferencer = inferencers['occlunet1/1']
    frames = frames_of(4)
    inferencer.reset(inferencer.intensity_range(frames))
    inferencer.push(frames[0])
    inferencer.push(frames[1])
    _, result = stream(inferencer, frames)  # reset drops the unfinished sequence
    assert result['num_frames'] == 4
    assert_same_result(result, inferencer.predict(frames), TOL)


def test_stream_errors(inferencers, tmp_path) -> None:
    inferencer = inferencers['occlunet1/1']
    frames = frames_of(3)
    with pytest.raises(StreamingError, match='reset'):
        inferencer.push(frames[0])
    with pytest.raises(StreamingError, match='reset'):
        inferencer.finish()
    with pytest.raises(StreamingError, match='intensity_range'):
        inferencer.reset()
    with pytest.raises(StreamingError, match='low <= high'):
        inferencer.reset((0.8, 0.2))
    inferencer.reset((0.0, 1.0))
    with pytest.raises(StreamingError, match='no frame'):
        inferencer.finish()
    inferencer.reset((0.0, 1.0))
    with pytest.raises(ValueError, match=r'\(H, W\)'):
        inferencer.push(frames)
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        inferencer.push(frames[0] + 2.0)
    inferencer.push(frames[0])
    with pytest.raises(StreamingError, match='shape'):
        inferencer.push(frames[0, :40])

    ckpt = save_init_checkpoint(MINIP_CONFIG, tmp_path / 'minip.pth')
    minip = SequenceInferencer(MINIP_CONFIG, ckpt, cfg_options=FAST_OPTIONS)
    assert not minip.can_stream and 'MinIntensityProjection' in minip.stream_error
    with pytest.raises(StreamingError, match='cannot stream'):
        minip.reset((0.0, 1.0))
    assert minip.predict(frames)['projection'] is True  # the whole-sequence path still works
