"""Frame times of a run: constant and two-rate protocols, FrameTimeVector, and the real times end to end
(generator -> DICOM -> loader -> dataset)."""

from __future__ import annotations

import json

import numpy as np
import pydicom
import pytest

from occlunet.synth import SynthParams, generate_dataset, preset_params, simulate_study
from occlunet.synth.acquisition import ProtocolDraws, frame_times, is_constant_rate, mean_frame_rate

CONSTANT = ProtocolDraws(u_two_rate=0.99, u_switch=0.5, u_late=0.5)
TWO_RATE = ProtocolDraws(u_two_rate=0.0, u_switch=0.5, u_late=0.0)


def test_constant_rate_is_the_v1_formula():
    p = preset_params('v1')
    times = frame_times(3.0, 6.4, p, CONSTANT)
    np.testing.assert_array_equal(times, np.arange(19) / 3.0)  # round(6.4 * 3) = 19 frames, clipped 10-20
    assert len(frame_times(4.0, 9.0, p, CONSTANT)) == 20 and len(frame_times(2.0, 1.0, p, CONSTANT)) == 10
    assert is_constant_rate(times) and mean_frame_rate(times) == pytest.approx(3.0)


def test_two_rate_protocol():
    p = SynthParams(arterial_phase_s=(4.0, 6.0), late_fps=(1.0, 1.5, 2.0), two_rate_probability=1.0)
    times = frame_times(4.0, 13.0, p, TWO_RATE)  # 4 frames/s until 5 s, then 1 frame/s until 13 s
    steps = np.round(np.diff(times), 9)
    assert set(steps) == {0.25, 1.0} and np.all(steps[:19] == 0.25) and np.all(steps[20:] == 1.0)
    assert times[0] == 0.0 and times[19] == pytest.approx(4.75) and times[-1] == pytest.approx(12.75)
    assert not is_constant_rate(times)
    assert mean_frame_rate(times) == pytest.approx((len(times) - 1) / times[-1])
    # the late rate is slower than the arterial one; without a slower rate the run stays constant
    assert np.allclose(np.diff(frame_times(2.0, 10.0, p, TWO_RATE))[-1], 1.0)
    assert is_constant_rate(frame_times(1.0, 10.0, p, TWO_RATE))


def test_two_rate_protocol_respects_frame_limits():
    p = SynthParams(two_rate_probability=1.0, frames_min=30, frames_max=40)
    assert len(frame_times(4.0, 10.0, p, TWO_RATE)) == 30  # the late rate continues up to frames_min
    assert len(frame_times(4.0, 60.0, p, TWO_RATE)) == 40
    short = SynthParams(two_rate_probability=1.0, frames_min=3, frames_max=6)
    assert is_constant_rate(frame_times(4.0, 12.0, short, TWO_RATE))  # capped inside the arterial phase


def test_default_runs_are_clinical():
    """Default (v2) runs: 3-76 frames at 1-4 frames/s, 10-16 s long, some of them two-rate."""
    sims = [simulate_study(i, 4, SynthParams(size=32), render=False) for i in range(10)]
    for sim in sims:
        assert 3 <= sim.num_frames <= 76
        assert 10.0 - 1.0 <= sim.frame_times[-1] <= 16.0
        rates = 1.0 / np.diff(sim.frame_times)
        assert rates.min() >= 1.0 - 1e-9 and rates.max() <= 4.0 + 1e-9
    assert any(not s.constant_rate for s in sims) and any(s.constant_rate for s in sims)


@pytest.fixture(scope='module')
def two_rate_dataset(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp('two_rate')
    generate_dataset(
        root, 2, size=32, seed=9, progress=False, card=False, two_rate_probability=1.0,
        arterial_phase_s=(1.0, 1.0), duration_s=(3.0, 3.0), fps_min=4.0, fps_max=4.0,
    )  # fmt: skip
    return root


def test_two_rate_runs_write_frame_time_vector(two_rate_dataset):
    data = json.loads((two_rate_dataset / 'annotations' / 'all.json').read_text())
    studies = json.loads((two_rate_dataset / 'generator.json').read_text())['studies']
    for video in data['videos']:
        ds = pydicom.dcmread(two_rate_dataset / video['file_name'], stop_before_pixels=True)
        assert ds.FrameIncrementPointer == pydicom.tag.Tag('FrameTimeVector') and 'FrameTime' not in ds
        times = next(s['frame_times'] for s in studies if s['study_id'] == video['study_id'])
        np.testing.assert_allclose(
            np.cumsum([float(v) for v in ds.FrameTimeVector]) / 1000.0, times, atol=1e-6
        )
        assert video['frame_rate'] == pytest.approx(mean_frame_rate(times), abs=1e-4)
        assert not studies[0]['constant_rate']


def test_real_frame_times_reach_the_dataset(two_rate_dataset):
    """generator -> DICOM (FrameTimeVector) -> loader -> DSAVideoDataset: every frame keeps its own time."""
    from occlunet.datasets import DSAVideoDataset
    from occlunet.dicom import load_dsa

    studies = {
        s['study_id']: s for s in json.loads((two_rate_dataset / 'generator.json').read_text())['studies']
    }
    dataset = DSAVideoDataset(
        'annotations/all.json',
        data_root=str(two_rate_dataset),
        pipeline=[dict(type='LoadDSASequence')],
        test_mode=True,
        num_frames=None,
    )
    assert len(dataset) == 4
    for i in range(len(dataset)):
        sample = dataset[i]
        want = studies[sample['study_id']]['frame_times']
        np.testing.assert_allclose(sample['frame_times'], want, atol=1e-6)
        np.testing.assert_allclose(load_dsa(sample['img_path']).frame_times, want, atol=1e-6)
        assert len(set(np.round(np.diff(sample['frame_times']), 6))) == 2  # two frame rates
    packed = DSAVideoDataset(
        'annotations/all.json',
        data_root=str(two_rate_dataset),
        pipeline=[dict(type='LoadDSASequence'), dict(type='PackDSAInputs')],
        test_mode=True,
        num_frames=None,
    )
    for i in range(len(packed)):  # and the packed sample's metainfo, what models and metrics see
        meta = packed[i]['data_samples'].metainfo
        want = studies[meta['study_id']]['frame_times']
        assert len(meta['frame_times']) == meta['num_frames']
        np.testing.assert_allclose(meta['frame_times'], want, atol=1e-6)
