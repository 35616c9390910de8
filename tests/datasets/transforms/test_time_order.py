"""ReorderFrames: reverse and shuffle a whole sequence (seeded per sequence); the MinIP does not notice."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mmdet.registry import DATASETS, TRANSFORMS

from occlunet.datasets.transforms import ReorderFrames, time_permutation

H, W, N = 8, 12, 5


def make_results(n: int = N, file_name: str = 'dicom/S0001_PA.dcm', frame_id: int | None = None) -> dict:
    """Whole-sequence results as LoadDSASequence leaves them: frame t is filled with t + 1."""
    frames = np.stack([np.full((H, W), t + 1.0, np.float32) for t in range(n)])  # (n, H, W)
    frames.setflags(write=False)
    return {
        'img_path': f'/data/{file_name}',
        'file_name': file_name,
        'frames': frames,
        'frame_times': np.arange(n, dtype=np.float64) * 0.25,
        'frame_ids': list(range(n)),
        'frame_id': frame_id,
        'num_frames': n,
        'img_shape': (H, W),
        'gt_frame_start': np.asarray([0, 3], np.int64),
        'gt_frame_end': np.asarray([1, 4], np.int64),
    }


def levels(results: dict) -> list[int]:
    """The original frame number shown at each position (frame t is filled with t + 1)."""
    return [int(f[0, 0]) - 1 for f in results['frames']]


def test_reverse_is_exact():
    out = ReorderFrames('reverse')(make_results())
    assert levels(out) == [4, 3, 2, 1, 0]
    assert out['source_frame_ids'] == [4, 3, 2, 1, 0] and out['time_order'] == 'reverse'
    np.testing.assert_array_equal(out['frame_times'], [1.0, 0.75, 0.5, 0.25, 0.0])
    assert out['frame_ids'] == list(range(N))  # positions in the reordered sequence
    # GT ranges as positions: frames 0-1 are now shown at 3-4, frames 3-4 at 0-1
    assert out['gt_frame_start'].tolist() == [3, 0] and out['gt_frame_end'].tolist() == [4, 1]
    assert not out['frames'].flags.writeable


def test_forward_is_the_identity():
    results = make_results()
    frames = results['frames']
    out = ReorderFrames('forward')(results)
    assert out['frames'] is frames and out['source_frame_ids'] == list(range(N))
    assert out['gt_frame_start'].tolist() == [0, 3] and out['gt_frame_end'].tolist() == [1, 4]


def test_shuffle_is_a_seeded_permutation_of_the_frames():
    out = ReorderFrames('shuffle', seed=0)(make_results(n=12))
    perm = out['source_frame_ids']
    assert sorted(perm) == list(range(12)) and perm != list(range(12))
    assert levels(out) == perm  # position j shows original frame perm[j]
    np.testing.assert_array_equal(out['frame_times'], np.asarray(perm) * 0.25)
    again = ReorderFrames('shuffle', seed=0)(make_results(n=12))
    assert again['source_frame_ids'] == perm


def test_shuffle_depends_on_seed_and_sequence_only():
    base = time_permutation(20, 'shuffle', seed=0, name='dicom/a.dcm')
    assert np.array_equal(base, time_permutation(20, 'shuffle', seed=0, name='dicom/a.dcm'))
    assert not np.array_equal(base, time_permutation(20, 'shuffle', seed=1, name='dicom/a.dcm'))
    assert not np.array_equal(base, time_permutation(20, 'shuffle', seed=0, name='dicom/b.dcm'))
    # seeded by file_name (relative to the data root), not by where the data root is
    step = ReorderFrames('shuffle', seed=0)
    here = step(make_results(n=20, file_name='dicom/a.dcm'))
    there = make_results(n=20, file_name='dicom/a.dcm')
    there['img_path'] = '/elsewhere/dicom/a.dcm'
    assert step(there)['source_frame_ids'] == here['source_frame_ids'] == base.tolist()


def test_shuffled_gt_range_covers_its_frames():
    out = ReorderFrames('shuffle', seed=0)(make_results(n=12))
    inverse = np.argsort(out['source_frame_ids'])
    for start, end, new_start, new_end in zip([0, 3], [1, 4], out['gt_frame_start'], out['gt_frame_end']):
        positions = inverse[start : end + 1]
        assert (new_start, new_end) == (positions.min(), positions.max())


def test_bad_arguments_and_samples():
    with pytest.raises(ValueError, match='order must be one of'):
        ReorderFrames('backwards')
    with pytest.raises(ValueError, match='seed must be an integer'):
        ReorderFrames('shuffle', seed=0.5)
    with pytest.raises(ValueError, match='whole-sequence samples'):
        ReorderFrames('reverse')(make_results(frame_id=2))
    stacked = make_results()
    stacked['img'] = np.zeros((N, 3, H, W), np.float32)
    with pytest.raises(ValueError, match='right after LoadDSASequence'):
        ReorderFrames('reverse')(stacked)


def test_registry_build():
    step = TRANSFORMS.build(dict(type='ReorderFrames', order='shuffle', seed=3))
    assert isinstance(step, ReorderFrames) and (step.order, step.seed) == ('shuffle', 3)
    assert repr(step) == "ReorderFrames(order='shuffle', seed=3)"


# ---- inside a whole-sequence test dataset (cache attached), as tools/test.py --time-order builds it ----
HEAD = [
    dict(type='LoadDSASequence'),
    dict(type='ResizeSequence', scale=(32, 32)),
    dict(type='NormalizeIntensity'),
]
OCCLUNET = [*HEAD, dict(type='NeighbourFrameStack', k=1), dict(type='PackDSAInputs')]
MINIP = [*HEAD, dict(type='MinIntensityProjection', channels=1), dict(type='PackDSAInputs')]


def build(dsa_data, pipeline: list[dict], order: str | None = None, seed: int = 0):
    if order is not None:
        pipeline = [pipeline[0], dict(type='ReorderFrames', order=order, seed=seed), *pipeline[1:]]
    cfg = dict(type='DSAVideoDataset', ann_file='annotations/train.json', data_root=str(dsa_data.root),
               num_frames=None, test_mode=True, pipeline=pipeline)  # fmt: skip
    return DATASETS.build(cfg)


def test_reversed_sequence_gives_reversed_neighbour_stacks(dsa_data):
    forward, backward = build(dsa_data, OCCLUNET), build(dsa_data, OCCLUNET, 'reverse')
    for i in range(len(forward)):
        for _ in range(2):  # the second pass reads the cache: the reversed sequence has its own entry
            fwd, rev = forward[i]['inputs'], backward[i]['inputs']  # (n, 3, 32, 32)
            # frame j of the reversed run is frame n-1-j with its neighbours (t+1, t, t-1)
            assert torch.equal(rev, fwd.flip(0).flip(1))
    assert any('time_order' in key for key in backward.cache._entries)


@pytest.mark.parametrize('order', ['reverse', 'shuffle'])
def test_minip_is_invariant_to_the_time_order(dsa_data, order):
    forward, ablated = build(dsa_data, MINIP), build(dsa_data, MINIP, order, seed=5)
    frames = build(dsa_data, [*HEAD, dict(type='PackDSAInputs')])
    frames_ablated = build(dsa_data, [*HEAD, dict(type='PackDSAInputs')], order, seed=5)
    for i in range(len(forward)):
        assert not torch.equal(frames_ablated[i]['inputs'], frames[i]['inputs'])  # the frames did move
        sample = ablated[i]
        assert torch.equal(sample['inputs'], forward[i]['inputs'])  # (1, 1, 32, 32), bit-identical
        assert (
            sample['data_samples'].metainfo['frame_ids'] == forward[i]['data_samples'].metainfo['frame_ids']
        )
