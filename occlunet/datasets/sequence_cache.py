"""A least-recently-used cache bounded by bytes, for decoded and resized DSA sequences.

One :class:`SequenceCache` belongs to a :class:`~occlunet.datasets.DSAVideoDataset`; the dataset hands it to
the cache-aware transforms of its pipeline (``LoadDSASequence``, ``ResizeSequence``, ``NormalizeIntensity``,
see :class:`CacheUser`) so that the windows of one video decode its DICOM once. Each process has its own
copy: a DataLoader worker starts with the parent's entries under ``fork`` and with an empty cache under
``spawn`` (pickling drops the entries), and then fills it independently. Peak memory is therefore about
``max_bytes * (num_workers + 1)``.

Cached arrays are made read-only; transforms gather the frames a sample needs instead of copying them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

# Default budget per process: ~2 GiB holds ~100 synthetic 512x512x18 sequences, or ~60 real 512x512x32
# ones after resizing; set `cache_bytes` in the dataset config to trade RAM against DICOM decoding.
DEFAULT_CACHE_BYTES = 2 * 1024**3


def nbytes_of(value: Any) -> int:
    """Bytes held by a cached value: the ndarrays it holds, directly, in a tuple/dict or as attributes."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, (tuple, list)):
        return sum(nbytes_of(v) for v in value)
    if isinstance(value, dict):
        return sum(nbytes_of(v) for v in value.values())
    if hasattr(value, '__dict__'):
        return sum(nbytes_of(v) for v in vars(value).values() if isinstance(v, np.ndarray))
    return 0


class SequenceCache:
    """LRU mapping ``key -> value`` whose values' ndarray bytes stay within ``max_bytes``.

    A value larger than the whole budget is returned but not stored. ``max_bytes=0`` disables caching.

    Args:
        max_bytes: budget in bytes for this process.
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        if max_bytes < 0:
            raise ValueError(f'SequenceCache: max_bytes must be >= 0, got {max_bytes}')
        self.max_bytes = int(max_bytes)
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self.nbytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def get(self, key: Hashable) -> Any | None:
        """The cached value (marked most recently used), or None."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: Hashable, value: Any) -> Any:
        """Store ``value`` (evicting least recently used entries to make room) and return it."""
        size = nbytes_of(value)
        self.pop(key)
        if size > self.max_bytes:
            return value
        while self._entries and self.nbytes + size > self.max_bytes:
            _, (_, old_size) = self._entries.popitem(last=False)
            self.nbytes -= old_size
        self._entries[key] = (value, size)
        self.nbytes += size
        return value

    def get_or_create(self, key: Hashable, create: Callable[[], Any]) -> Any:
        """The cached value for ``key``, computing and storing it with ``create()`` on a miss."""
        value = self.get(key)
        if value is None:
            value = self.put(key, create())
        return value

    def pop(self, key: Hashable) -> Any | None:
        """Remove and return an entry (None if absent)."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return None
        self.nbytes -= entry[1]
        return entry[0]

    def clear(self) -> None:
        self._entries.clear()
        self.nbytes = 0

    def __getstate__(self) -> dict:
        # Sent to DataLoader workers (spawn) or with the dataset: the budget travels, the entries do not.
        return {'max_bytes': self.max_bytes}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state['max_bytes'])

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(max_bytes={self.max_bytes}, entries={len(self)}, '
            f'nbytes={self.nbytes}, hits={self.hits}, misses={self.misses})'
        )


# Where a cache user leaves a deferred whole sequence for the next cache user (no other transform sees it).
FRAMES_THUNK = 'frames_thunk'


def once(make: Callable[[], Any]) -> Callable[[], Any]:
    """``make`` that computes its value at the first call only."""
    box: list = []

    def get() -> Any:
        if not box:
            box.append(make())
        return box[0]

    return get


class CacheUser:
    """Mixin for the transforms that produce whole sequences (``LoadDSASequence``, ``ResizeSequence``,
    ``NormalizeIntensity`` before stacking) and can share a dataset's :class:`SequenceCache`.

    Only the *last* of a run of such transforms keeps its sequence in the cache: the dataset attaches the
    cache with ``keep_frames=False`` to a transform whose whole sequence goes straight into the next one;
    that transform then hands on a deferred computation (``results['frames_thunk']``) instead of
    ``results['frames']``, which runs only when the next transform's own entry is missing. So
    ``Load -> Resize -> Normalize`` caches the normalised, resized sequence once (not the 1024 x 1024
    decode as well), and a hit costs no decoding at all.

    Without an attached cache (a transform used on its own) everything is computed every time.
    """

    cache: SequenceCache | None = None
    keep_frames: bool = True

    def attach_cache(self, cache: SequenceCache | None, keep_frames: bool = True) -> None:
        """Called by the dataset for every transform of its pipeline that has this method."""
        self.cache = cache
        self.keep_frames = keep_frames

    def cached(self, key: Hashable | None, create: Callable[[], Any]) -> Any:
        """``create()`` through the cache when one is attached and ``key`` is not None."""
        if self.cache is None or key is None:
            return create()
        return self.cache.get_or_create(key, create)

    @staticmethod
    def upstream_frames(results: dict) -> Callable[[], np.ndarray]:
        """The previous transform's whole sequence as a function, evaluated (once) only when called."""
        thunk = results.pop(FRAMES_THUNK, None)
        if thunk is not None:
            return once(thunk)
        frames = results['frames']
        return lambda: frames

    def output_frames(self, results: dict, key: Hashable | None, make: Callable[[], np.ndarray]) -> None:
        """Publish this transform's whole sequence: cached under ``key`` and stored in ``results['frames']``
        (read-only), or deferred for the next cache user (``keep_frames=False``)."""
        results['cache_key'] = key
        if self.cache is None or key is None:
            results['frames'] = read_only(make())
        elif self.keep_frames:
            results['frames'] = self.cache.get_or_create(key, lambda: read_only(make()))
        else:
            results.pop('frames', None)
            results[FRAMES_THUNK] = make


def read_only(array: np.ndarray) -> np.ndarray:
    """``array`` marked read-only (in place), so a cached array cannot be changed by a transform."""
    array.setflags(write=False)
    return array
