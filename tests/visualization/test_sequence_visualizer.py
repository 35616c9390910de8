"""Sequence drawings (detections thin, best track bold, GT where visible, captions, MinIP) and the test-time
SequenceVisualizationHook that writes them."""

from __future__ import annotations

import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData
from PIL import Image
from pydicom.uid import generate_uid

from occlunet.engine.hooks import (
    SequenceVisualizationHook,
    add_sequence_visualization,
    is_sequence_test_config,
)
from occlunet.models.trackers import Track
from occlunet.synth import XAHeader, write_xa
from occlunet.visualization import (
    DET_COLOR,
    GT_COLOR,
    TRACK_COLOR,
    draw_minip,
    draw_result,
    draw_result_minip,
    draw_sequence,
    finding_text,
)

REPO = Path(__file__).resolve().parents[2]
H, W = 40, 50


def frames(num: int = 3, height: int = H, width: int = W, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.2, 0.8, (num, height, width)).astype(np.float32)


def is_color(pixel: np.ndarray, color: tuple[int, int, int], tol: int = 0) -> bool:
    return bool(np.abs(pixel.astype(int) - np.asarray(color)).max() <= tol)


def test_draw_sequence_roles_on_their_frames():
    out = draw_sequence(
        frames(),
        detections=[[[2, 2, 10, 10]], [], np.zeros((0, 4))],
        track_box=[20, 5, 35, 20],
        track_frames=[1, 2],
        track_text='occlusion 0.9',
        gt_boxes=[[5, 25, 15, 35]],
        gt_frames=[(0, 1)],
        gt_texts=['GT M1'],
        captions=[['frame 1/3'], ['frame 2/3', 'occlusion: yes'], ['frame 3/3']],
        size=None,
    )
    assert out.dtype == np.uint8 and out.shape[0] == 3 and out.shape[2:] == (W, 3)
    assert out.shape[1] > H  # a caption strip of two lines on every frame
    assert is_color(out[0, 2, 6], DET_COLOR) and not is_color(out[1, 2, 6], DET_COLOR)
    assert is_color(out[1, 5, 27], TRACK_COLOR) and is_color(out[2, 6, 27], TRACK_COLOR)  # 3 px bold
    assert not is_color(out[0, 5, 27], TRACK_COLOR)
    assert is_color(out[0, 25, 10], GT_COLOR) and is_color(out[1, 25, 10], GT_COLOR)
    assert not is_color(out[2, 25, 10], GT_COLOR)
    strip = out[:, H:]
    assert strip.max() == 255 and np.all(strip[:, :, :, 0] == strip[:, :, :, 1])  # white text on black
    assert strip[0].sum() < strip[1].sum()  # frame 2 has the longer caption


def test_draw_sequence_scales_to_size():
    out = draw_sequence(frames(2, 32, 64), detections=[[[4, 4, 12, 12]], []], size=128)
    assert out.shape == (2, 64, 128, 3)  # long side 128: x2
    assert is_color(out[0, 8, 16], DET_COLOR) and is_color(out[0, 16, 8], DET_COLOR)
    assert not is_color(out[0, 4, 8], DET_COLOR)


def test_draw_sequence_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match='detection'):
        draw_sequence(frames(3), detections=[[]] * 2)
    with pytest.raises(ValueError, match='captions'):
        draw_sequence(frames(3), captions=[['a']])
    with pytest.raises(ValueError, match='one entry per GT box'):
        draw_sequence(frames(3), gt_boxes=[[1, 1, 5, 5]], gt_frames=[(0, 1), (1, 2)])
    with pytest.raises(ValueError, match=r'\(T, H, W\)'):
        draw_sequence(np.zeros((4, 4)))


def test_draw_minip_shows_the_darkest_values_and_boxes():
    seq = np.full((4, H, W), 0.8, np.float32)
    seq[2, 30:34, 40:44] = 0.1  # a vessel filled on one frame only
    seq[:, 0, 0] = 0.5
    img = draw_minip(
        seq, track_box=[10, 10, 20, 20], gt_boxes=[[25, 5, 35, 15]], caption=['MinIP'], size=None
    )
    assert img.shape[1:] == (W, 3) and img.shape[0] > H
    assert img[32, 42, 0] < img[20, 30, 0]  # the one-frame vessel is dark in the MinIP
    assert is_color(img[10, 15], TRACK_COLOR) and is_color(img[5, 30], GT_COLOR)


def fake_result(occlusion: bool = True) -> dict:
    best = dict(
        frame_ids=[1, 2], bbox=[20, 5, 35, 20], label=0, score=3.2, scores=[0.8, 0.8], track_id=0,
        confidence=0.8, label_name='M1', frames=[1, 2],
    )  # fmt: skip
    return dict(
        view='PA',
        num_frames=3,
        detections=[dict(frame_id=t, bboxes=[[2, 2, 10, 10]], scores=[0.5], labels=[0]) for t in range(3)],
        tracks=[best],
        best_track=best if occlusion else None,
        occlusion=occlusion,
        score=3.2 if occlusion else 0.0,
        confidence=0.8 if occlusion else 0.0,
        class_name='M1' if occlusion else None,
    )


def test_draw_result_captions_and_finding():
    assert finding_text(fake_result()) == 'occlusion: yes (M1, conf 0.8, score 3.2)'
    assert finding_text(fake_result(False)) == 'occlusion: no'
    gif = draw_result(frames(), fake_result(), gt_boxes=[[5, 25, 15, 35]], extra_caption='GT: M1', size=None)
    assert gif.shape[0] == 3 and not np.array_equal(gif[0], gif[1])  # captions differ: no GIF frame merged
    assert is_color(gif[1, 5, 27], TRACK_COLOR) and not is_color(gif[0, 5, 27], TRACK_COLOR)
    assert all(is_color(gif[t, 2, 6], DET_COLOR) for t in range(3))
    no = draw_result(frames(), fake_result(False), size=None)
    assert not any(is_color(no[1, 5, x], TRACK_COLOR) for x in range(20, 36))
    minip = draw_result_minip(frames(), fake_result(), gt_boxes=[[5, 25, 15, 35]], size=None)
    assert is_color(minip[5, 27], TRACK_COLOR) and is_color(minip[25, 10], GT_COLOR)


# -- the hook -------------------------------------------------------------------------------------------
def test_sequence_test_config_detection():
    occlunet = Config.fromfile(str(REPO / 'configs' / 'occlunet1_dsa_tiny.py'))
    assert is_sequence_test_config(occlunet)
    assert is_sequence_test_config(Config.fromfile(str(REPO / 'configs' / 'yolox_s_minip_dsa_tiny.py')))
    assert not is_sequence_test_config(
        Config.fromfile(str(REPO / 'configs' / 'smoke' / 'yolox_tiny_smoke.py'))
    )
    occlunet.test_dataloader.dataset.update(test_mode=False, num_frames=3)  # window samples: no tracks
    assert not is_sequence_test_config(occlunet)
    add_sequence_visualization(occlunet, 'a')
    add_sequence_visualization(occlunet, 'b', max_sequences=2)
    assert occlunet.custom_hooks == [dict(type='SequenceVisualizationHook', out_dir='b', max_sequences=2)]


def write_dicom(path: Path, num: int = 4, size: int = 32) -> Path:
    header = XAHeader(
        patient_id='P1', study_id='S1', study_uid=generate_uid(), series_uid=generate_uid(),
        sop_uid=generate_uid(), acquired=datetime.datetime(2020, 1, 1, 8, 0), view='PA', fps=4.0,
        bits_stored=12, imager_pixel_spacing=0.3, magnification=1.2, primary_angle=0.0, secondary_angle=0.0,
        series_number=1, laterality='L',
    )  # fmt: skip
    stored = np.random.default_rng(1).integers(1000, 3000, (num, size, size)).astype(np.uint16)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_xa(path, stored, header)
    return path


def sequence_sample(img_path: Path, frame_id: int | None = None) -> DetDataSample:
    """A whole-sequence output as OccluNet gives it: network input 2x the 32 px DICOM."""
    sample = DetDataSample()
    sample.set_metainfo(
        dict(
            img_path=str(img_path),
            file_name='dicom/run.dcm',
            video_id=7,
            view='PA',
            frame_id=frame_id,
            frame_ids=[0, 1, 2, 3],
            num_frames=4,
            ori_shape=(32, 32),
            img_shape=(64, 64),
            scale_factor=(2.0, 2.0),
            flip=False,
            flip_direction=None,
            frame_rate=4.0,
            num_valid_frames=4,
        )  # fmt: skip
    )
    gt = InstanceData()
    gt.bboxes = torch.tensor([[10.0, 10.0, 20.0, 20.0]])  # network pixels: DICOM [5, 5, 10, 10]
    gt.labels = torch.tensor([0])
    gt.frame_start, gt.frame_end = torch.tensor([1]), torch.tensor([2])
    sample.gt_instances = gt
    pred = InstanceData()
    pred.bboxes = torch.tensor([[1.0, 1.0, 4.0, 4.0], [20.0, 20.0, 28.0, 28.0]])
    pred.scores = torch.tensor([0.2, 0.6])
    pred.labels = torch.tensor([0, 0])
    pred.frame_ids = torch.tensor([0, 1])
    sample.pred_instances = pred
    track = Track(frame_ids=[0, 1], bboxes=[[20, 20, 28, 28]] * 2, scores=[0.5, 0.6], labels=[0, 0])
    sample.set_field([track], 'pred_tracks')
    return sample


def fake_runner(score_thr: float = 0.3) -> SimpleNamespace:
    cfg = Config(dict(test_evaluator=dict(type='SequenceDetectionMetric', score_thr=score_thr)))
    dataset = SimpleNamespace(metainfo={'classes': ('occlusion',)})
    return SimpleNamespace(cfg=cfg, test_dataloader=SimpleNamespace(dataset=dataset))


def test_hook_writes_gif_and_minip_per_sequence(tmp_path):
    dicom = write_dicom(tmp_path / 'run.dcm')
    hook = SequenceVisualizationHook(str(tmp_path / 'vis'), size=64)
    runner = fake_runner()
    hook.before_test(runner)
    assert hook.score_thr == 0.3 and hook.classes == ('occlusion',)
    hook.after_test_iter(runner, 0, None, [sequence_sample(dicom), sequence_sample(dicom, frame_id=2)])
    assert sorted(p.name for p in (tmp_path / 'vis').iterdir()) == ['7_run.gif', '7_run_minip.png']
    with Image.open(tmp_path / 'vis' / '7_run.gif') as gif:
        assert gif.n_frames == 4
        rgb = []
        for t in range(4):
            gif.seek(t)
            rgb.append(np.asarray(gif.convert('RGB')))
    # GT (DICOM [5, 5, 10, 10], drawn x2) on frames 1-2; the best track (DICOM [20, 20, 28, 28]) on 0-1
    gt_on = [is_color(img[10, 15], GT_COLOR, tol=40) for img in rgb]
    track_on = [is_color(img[40, 48], TRACK_COLOR, tol=40) for img in rgb]
    assert gt_on == [False, True, True, False] and track_on == [True, True, False, False]
    with Image.open(tmp_path / 'vis' / '7_run_minip.png') as png:
        minip = np.asarray(png.convert('RGB'))
    assert is_color(minip[10, 15], GT_COLOR) and is_color(minip[40, 48], TRACK_COLOR)


def test_hook_respects_max_sequences_and_score_thr(tmp_path):
    dicom = write_dicom(tmp_path / 'run.dcm')
    hook = SequenceVisualizationHook(str(tmp_path / 'none'), max_sequences=0)
    hook.before_test(fake_runner())
    hook.after_test_iter(fake_runner(), 0, None, [sequence_sample(dicom)])
    assert list((tmp_path / 'none').iterdir()) == []
    strict = SequenceVisualizationHook(str(tmp_path / 'strict'), size=64, draw_minip=False)
    strict.before_test(fake_runner(score_thr=0.9))  # the track's confidence 0.55 fails: no bold box
    gif_path, png_path = strict.draw(sequence_sample(dicom))
    assert png_path is None
    with Image.open(gif_path) as gif:
        assert not is_color(np.asarray(gif.convert('RGB'))[40, 48], TRACK_COLOR, tol=40)
