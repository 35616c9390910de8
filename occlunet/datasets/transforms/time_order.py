"""Test-time ablation of time: play a whole sequence forwards, backwards or shuffled (issue 15, item 3).

A model that reads the late (collateral) filling of a DSA run must lose recall when time runs backwards;
the MinIP baseline is invariant by construction (the minimum over time ignores the order).
"""

from __future__ import annotations

import hashlib

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from ..sequence_cache import CacheUser, read_only

TIME_ORDERS: tuple[str, ...] = ('forward', 'reverse', 'shuffle')
_DIGEST_BYTES = 8  # 64 bits of the sequence name's SHA-256 enter the shuffle's seed


def sequence_name(results: dict) -> str:
    """The name that seeds a sequence's shuffle: ``file_name`` (relative to the data root, so the same on
    every machine), else ``img_path``."""
    name = results.get('file_name') or results.get('img_path')
    if not name:
        raise KeyError('ReorderFrames: results has neither file_name nor img_path to seed the shuffle')
    return str(name)


def time_permutation(num_frames: int, order: str, seed: int = 0, name: str = '') -> np.ndarray:
    """Which original frame each position of the reordered sequence shows.

    ``'shuffle'`` draws a uniform permutation from a generator seeded by ``seed`` and a stable hash of
    ``name`` (SHA-256, not python's salted ``hash``): the same sequence gets the same permutation in every
    process and at every position in the data loader, different sequences get independent ones. A draw may
    be the identity (probability ``1 / num_frames!``).

    Args:
        num_frames: sequence length n >= 0.
        order: one of :data:`TIME_ORDERS`.
        seed: the run's seed (``tools/test.py --time-seed``).
        name: the sequence's name (see :func:`sequence_name`); used by ``'shuffle'`` only.

    Returns:
        int64 array (n,): ``reordered[j] = original[perm[j]]``.
    """
    if order not in TIME_ORDERS:
        raise ValueError(f'time order must be one of {TIME_ORDERS}, got {order!r}')
    forward = np.arange(num_frames, dtype=np.int64)
    if order == 'forward':
        return forward
    if order == 'reverse':
        return forward[::-1].copy()
    digest = int.from_bytes(hashlib.sha256(name.encode('utf-8')).digest()[:_DIGEST_BYTES], 'little')
    return np.random.default_rng([int(seed), digest]).permutation(num_frames).astype(np.int64)


def remap_frame_ranges(
    starts: np.ndarray, ends: np.ndarray, perm: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Inclusive frame ranges ``[start, end]`` of the original sequence as positions of the reordered one:
    exact for forward and reverse; after a shuffle the smallest range that covers all the positions.

    Shape:
        starts, ends: (N,), perm: (n,) -> two (N,) int64 arrays.
    """
    inverse = np.argsort(perm)  # (n,) position of original frame i
    new_starts, new_ends = np.asarray(starts, np.int64).copy(), np.asarray(ends, np.int64).copy()
    for i, (start, end) in enumerate(zip(starts, ends)):
        positions = inverse[max(int(start), 0) : int(end) + 1]
        if len(positions):
            new_starts[i], new_ends[i] = positions.min(), positions.max()
    return new_starts, new_ends


@TRANSFORMS.register_module()
class ReorderFrames(CacheUser, BaseTransform):
    """Reorder the frames of a whole sequence (and what travels with them), once per sequence, seeded.

    Put it right after ``LoadDSASequence`` in a whole-sequence test pipeline (``tools/test.py --time-order``
    does, see :func:`occlunet.engine.set_time_order`). The reordered sequence replaces ``frames`` (the next
    transforms see it as *the* sequence: ``frame_ids`` stay 0..n-1, so predicted frame indices are
    positions in the reordered sequence); ``frame_times`` are reordered with the frames, the GT ranges
    ``gt_frame_start`` / ``gt_frame_end`` are mapped to positions (see :func:`remap_frame_ranges`);
    ``time_order`` (the order's name) and ``source_frame_ids`` (the original frame at each position) are
    added. Inside a dataset the reordered sequence is cached under its own key, so it never replaces the
    forward one.

    Args:
        order: ``'forward'`` (identity, a control), ``'reverse'`` or ``'shuffle'``.
        seed: seed of the shuffles; each sequence's permutation depends on it and on the sequence's
            ``file_name`` only (see :func:`time_permutation`).

    Shape:
        frames: (n, H, W) -> (n, H, W), ``reordered[j] = frames[source_frame_ids[j]]``.
    """

    def __init__(self, order: str = 'reverse', seed: int = 0) -> None:
        if order not in TIME_ORDERS:
            raise ValueError(f'ReorderFrames: order must be one of {TIME_ORDERS}, got {order!r}')
        if not isinstance(seed, int | np.integer):
            raise ValueError(f'ReorderFrames: seed must be an integer, got {seed!r}')
        self.order = order
        self.seed = int(seed)

    def _check_sample(self, results: dict) -> None:
        if results.get('frame_id') is not None or results.get('target_frame_ids') is not None:
            raise ValueError(
                f'ReorderFrames needs whole-sequence samples, got a window/clip of '
                f'{results.get("img_path")}: build the dataset with num_frames=None or test_mode=True'
            )
        if 'img' in results:
            raise ValueError(
                'ReorderFrames must come before the transform that makes the sample image (frame stacking, '
                'MinIP): put it right after LoadDSASequence'
            )

    def transform(self, results: dict) -> dict:
        """Reorder the sequence of one sample."""
        self._check_sample(results)
        num = int(results['num_frames'])
        perm = time_permutation(num, self.order, self.seed, sequence_name(results))
        source = self.upstream_frames(results)
        cache_key = results.get('cache_key')
        if self.order == 'forward':
            self.output_frames(results, cache_key, source)
        else:
            path = results.get('img_path')

            def reorder() -> np.ndarray:
                frames = source()
                if frames.shape[0] != num:
                    raise ValueError(f'ReorderFrames: {path}: num_frames={num} but {frames.shape[0]} frames')
                return np.ascontiguousarray(frames[perm])  # (n, H, W)

            new_key = None if cache_key is None else (*cache_key, 'time_order', self.order, self.seed)
            self.output_frames(results, new_key, reorder)
        times = results.get('frame_times')
        if times is not None and len(times) == num:
            results['frame_times'] = read_only(np.asarray(times)[perm])
        if 'gt_frame_start' in results and 'gt_frame_end' in results:
            results['gt_frame_start'], results['gt_frame_end'] = remap_frame_ranges(
                results['gt_frame_start'], results['gt_frame_end'], perm
            )
        results['time_order'] = self.order
        results['source_frame_ids'] = perm.tolist()
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(order={self.order!r}, seed={self.seed})'
