"""Load a DSA sequence (and its annotations) into a pipeline's ``results``."""

from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from ..annotations import DSAAnnotationError
from ..sequence_cache import CacheUser, read_only
from .box_ops import instances_from_annotations


@TRANSFORMS.register_module()
class LoadDSASequence(CacheUser, BaseTransform):
    """Decode ``results['img_path']`` with :func:`occlunet.dicom.load_dsa`, through the dataset's cache.

    Adds ``frames`` (the whole sequence, read-only: it may be the cached array; later transforms gather
    from it. Inside a dataset whose next transform is ``ResizeSequence`` / ``NormalizeIntensity`` the
    decode is deferred to that transform and skipped when its result is cached), ``frame_times``,
    ``pixel_spacing``, ``ori_shape`` = ``img_shape`` = (H, W), ``scale_factor`` = (1.0, 1.0), ``flip`` =
    False, ``flip_direction`` = None, ``cache_key``, and the per-instance arrays ``gt_bboxes`` (xyxy,
    DICOM pixels), ``gt_bboxes_labels``, ``gt_frame_start``, ``gt_frame_end``, ``gt_category_ids`` from
    ``results['instances']`` (empty without). ``frame_ids`` defaults to the whole sequence and
    ``frame_id`` to None when the sample did not set them.

    Metadata come from the DICOM header (cached per video); a size that disagrees with the annotation
    raises :class:`DSAAnnotationError`, a file that cannot be read ``occlunet.dicom.DSAFormatError``
    (file and field in both messages).

    Args:
        max_frames: passed to ``load_dsa`` (None: its default).
        max_pixels: passed to ``load_dsa`` (None: its default).

    Shape:
        frames: (n, H, W) float32 in [0, 1], vessels dark.
    """

    def __init__(self, max_frames: int | None = None, max_pixels: int | None = None) -> None:
        self.max_frames = max_frames
        self.max_pixels = max_pixels

    def _limits(self) -> dict:
        limits = {'max_frames': self.max_frames, 'max_pixels': self.max_pixels}
        return {k: v for k, v in limits.items() if v is not None}

    @staticmethod
    def _meta(seq: object) -> dict:
        """The per-video metadata a sample needs, from a ``DSASequence`` or a ``DSAHeader``."""
        times = getattr(seq, 'frame_times', None)
        return {
            'num_frames': int(seq.num_frames),
            'height': int(seq.height),
            'width': int(seq.width),
            'frame_times': None if times is None else read_only(np.asarray(times, dtype=np.float64)),
            'pixel_spacing': getattr(seq, 'pixel_spacing', None),
        }

    def _decode(self, path: str) -> np.ndarray:
        from occlunet.dicom import load_dsa

        return np.asarray(load_dsa(path, **self._limits()).frames, dtype=np.float32)

    def _read_header(self, path: str) -> dict:
        from occlunet.dicom import read_dsa_header

        return self._meta(read_dsa_header(path, **self._limits()))

    @staticmethod
    def _check_size(results: dict, meta: dict) -> None:
        for field in ('num_frames', 'height', 'width'):
            want, got = results.get(field), meta[field]
            if want is not None and want != got:
                raise DSAAnnotationError(
                    f'{results["img_path"]}: video id={results.get("video_id")}: field {field!r}: '
                    f'annotation says {want}, the DICOM has {got} (re-run tools/check_dataset.py)'
                )

    def transform(self, results: dict) -> dict:
        """Load the sequence (or defer it to the next cache user) and the instance arrays into ``results``."""
        path = results['img_path']
        key = ('decoded', path)
        if self.cache is None:  # on its own: one decode gives pixels and metadata
            from occlunet.dicom import load_dsa

            seq = load_dsa(path, **self._limits())
            meta = self._meta(seq)
            self._check_size(results, meta)
            self.output_frames(results, None, lambda: np.asarray(seq.frames, dtype=np.float32))
        else:  # the header alone (cached) gives the metadata; pixels come from the cache when possible
            meta = self.cached(('header', path), lambda: self._read_header(path))
            self._check_size(results, meta)
            self.output_frames(results, key, lambda: self._decode(path))
        height, width = meta['height'], meta['width']
        results['frame_times'] = meta['frame_times']
        results['pixel_spacing'] = meta['pixel_spacing']
        results['ori_shape'] = (height, width)
        results['img_shape'] = (height, width)
        results['scale_factor'] = (1.0, 1.0)
        results['flip'] = False
        results['flip_direction'] = None
        results.setdefault('num_frames', meta['num_frames'])
        results.setdefault('frame_ids', list(range(meta['num_frames'])))
        results.setdefault('frame_id', None)
        results.update(instances_from_annotations(results.get('instances', [])))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(max_frames={self.max_frames}, max_pixels={self.max_pixels})'
