"""One DSA sequence to predict on, from a DICOM file or an array, and the pipeline ``results`` it starts as.

:class:`SequenceInput` holds the decoded frames and the little metadata inference needs. :func:`load_results`
turns it into the ``results`` dict that ``DSAVideoDataset`` (whole-sequence sample, ``frame_id=None``)
followed by ``LoadDSASequence`` would hand to the next transform, with no annotations: the rest of a
config's test pipeline (``ResizeSequence -> NormalizeIntensity -> NeighbourFrameStack |
MinIntensityProjection -> PackDSAInputs``) then runs unchanged on it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from occlunet.datasets.sequence_cache import read_only
from occlunet.datasets.transforms.box_ops import instances_from_annotations

SEQUENCE_DIMS = 3  # (T, H, W)
UNKNOWN_VIEW = 'UNKNOWN'
# Values this far outside [0, 1] are rounding (e.g. a float64 -> float32 cast) and clipped; beyond: an error.
RANGE_TOLERANCE = 1e-5
MIN_TIMES = 2  # a frame rate needs one interval


@dataclass(eq=False)
class SequenceInput:
    """A DSA sequence at DICOM resolution, ready for :func:`load_results`.

    Args:
        frames: float32 (T, H, W) in [0, 1], vessels dark (as ``occlunet.dicom.load_dsa`` gives).
        path: the DICOM file, or None for an array.
        view: ``'PA'``, ``'LAT'`` or ``'UNKNOWN'``.
        frame_times: seconds from the first frame (T,), or None.
        pixel_spacing: (row, column) mm, or None.
        frame_rate: frames per second, or None (see :func:`frame_rate_of`).
    """

    frames: np.ndarray
    path: str | None = None
    view: str = UNKNOWN_VIEW
    frame_times: np.ndarray | None = None
    pixel_spacing: tuple[float, float] | None = None
    frame_rate: float | None = None

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def height(self) -> int:
        return int(self.frames.shape[1])

    @property
    def width(self) -> int:
        return int(self.frames.shape[2])


def frame_rate_of(frame_times: np.ndarray | None) -> float | None:
    """Frames per second from the frame times: 1 / the median interval; None without a usable timing."""
    if frame_times is None or len(frame_times) < MIN_TIMES:
        return None
    step = float(np.median(np.diff(np.asarray(frame_times, dtype=np.float64))))
    return 1.0 / step if step > 0 else None


def check_frames(frames: object, name: str = 'array input') -> np.ndarray:
    """``frames`` as a float32 (T, H, W) array in [0, 1]; ValueError for anything else."""
    if hasattr(frames, 'detach'):  # torch.Tensor
        frames = frames.detach().cpu().numpy()
    array = np.asarray(frames)
    if array.ndim != SEQUENCE_DIMS or min(array.shape, default=0) < 1:
        raise ValueError(
            f'{name}: expected frames of shape (T, H, W) with T, H, W >= 1, got shape {array.shape} '
            '(stack single frames with np.stack)'
        )
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f'{name}: expected float pixels in [0, 1], got dtype {array.dtype}')
    array = array.astype(np.float32)  # a copy: the caller's array is never marked read-only
    if not np.isfinite(array).all():
        raise ValueError(f'{name}: frames contain NaN or inf')
    low, high = float(array.min()), float(array.max())
    if low < -RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
        raise ValueError(
            f'{name}: frames must lie in [0, 1] (vessels dark, as occlunet.dicom.load_dsa gives), '
            f'got values in [{low:g}, {high:g}]'
        )
    return np.clip(array, 0.0, 1.0, out=array)


def from_array(frames: object, view: str = UNKNOWN_VIEW, frame_rate: float | None = None) -> SequenceInput:
    """A :class:`SequenceInput` from a (T, H, W) float array (or tensor) in [0, 1]."""
    return SequenceInput(frames=check_frames(frames), view=view, frame_rate=frame_rate)


def load_sequence(
    path: str | os.PathLike, max_frames: int | None = None, max_pixels: int | None = None
) -> SequenceInput:
    """Decode a DICOM file with ``occlunet.dicom.load_dsa`` (``DSAFormatError`` for a bad file, ``OSError``
    for an unreadable path); ``max_frames`` / ``max_pixels`` as ``LoadDSASequence`` passes them (None: the
    loader's defaults)."""
    from occlunet.dicom import load_dsa

    limits = {'max_frames': max_frames, 'max_pixels': max_pixels}
    seq = load_dsa(path, **{k: v for k, v in limits.items() if v is not None})
    return from_dsa_sequence(seq)


def from_dsa_sequence(seq: object) -> SequenceInput:
    """A :class:`SequenceInput` from an ``occlunet.dicom.DSASequence``."""
    times = None if seq.frame_times is None else np.asarray(seq.frame_times, dtype=np.float64)
    return SequenceInput(
        frames=np.asarray(seq.frames, dtype=np.float32),
        path=os.fspath(seq.path) if getattr(seq, 'path', None) is not None else None,
        view=seq.view or UNKNOWN_VIEW,
        frame_times=times,
        pixel_spacing=seq.pixel_spacing,
        frame_rate=frame_rate_of(times),
    )


def load_results(seq: SequenceInput) -> dict:
    """The ``results`` a whole-sequence ``DSAVideoDataset`` sample has after ``LoadDSASequence``.

    The dataset's keys (``video_id``, ``img_path``, ``file_name``, ``study_id``, ``patient_id``, ``view``,
    ``width``, ``height``, ``num_frames``, ``ori_shape``, ``instances`` = [], ``sequence_label`` = 0,
    ``frame_rate``, ``acquired``, ``label_mode``, ``frame_id`` = None, ``frame_ids`` = 0..n-1) and the
    loader's (``frames`` read-only, ``frame_times``, ``pixel_spacing``, ``img_shape``, ``scale_factor`` =
    (1, 1), ``flip`` = False, ``flip_direction`` = None, ``cache_key`` = None and the empty per-instance
    ``gt_*`` arrays). Identifiers the file does not give (``video_id``, ``study_id``, ...) are None.
    """
    n, height, width = seq.num_frames, seq.height, seq.width
    frames = np.asarray(seq.frames, dtype=np.float32)
    if frames is seq.frames:
        frames = frames.copy()  # read_only() marks in place: never the caller's array
    times = None if seq.frame_times is None else read_only(np.array(seq.frame_times, dtype=np.float64))
    results = {
        # DSAVideoDataset.get_data_info of a whole sequence
        'video_id': None,
        'img_path': seq.path,
        'file_name': None if seq.path is None else os.path.basename(seq.path),
        'study_id': None,
        'patient_id': None,
        'view': seq.view,
        'width': width,
        'height': height,
        'num_frames': n,
        'ori_shape': (height, width),
        'instances': [],
        'sequence_label': 0,
        'frame_rate': seq.frame_rate,
        'acquired': None,
        'label_mode': 'boxes',
        'frame_id': None,
        'frame_ids': list(range(n)),
        # LoadDSASequence
        'cache_key': None,
        'frames': read_only(frames),
        'frame_times': times,
        'pixel_spacing': seq.pixel_spacing,
        'img_shape': (height, width),
        'scale_factor': (1.0, 1.0),
        'flip': False,
        'flip_direction': None,
    }
    results.update(instances_from_annotations([]))
    return results
