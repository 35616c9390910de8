"""Training clips over a feature cache: stage 2 of freeze-and-cache training (temporal module + head only)."""

from __future__ import annotations

from collections.abc import Sequence

from mmdet.registry import DATASETS

from .dsa_video_dataset import DSAVideoDataset
from .feature_cache import FeatureCacheError, manifest_path, pipeline_fingerprint, read_manifest

DEFAULT_PIPELINE = (dict(type='LoadCachedFeatures', flip_prob=0.5), dict(type='PackCachedFeatures'))


@DATASETS.register_module()
class CachedFeatureDataset(DSAVideoDataset):
    """The training clips of :class:`DSAVideoDataset`, whose frames are read from a feature cache.

    Samples are clips of ``clip_length`` consecutive target frames with their window context (a window
    sample is a clip of one target), exactly the windows and targets of ``DSAVideoDataset``; each sample
    carries ``feature_cache_dir`` for ``LoadCachedFeatures``. No DICOM is read: the annotation file gives
    the boxes, the cache (``tools/cache_features.py``) the features.

    The cache is checked when the dataset loads: every video of ``ann_file`` must be in it with the same
    number of frames, and, when ``source_pipeline`` is given, the cache must have been computed with that
    frame pipeline (the config's test pipeline, which validation and inference use on pixels). The model
    checks the weights (``OccluNet(freeze_spatial=True)``).

    Args:
        cache_dir: the cache directory (``manifest.json`` + ``features/``).
        source_pipeline: the pixel pipeline the features must have been computed with; None skips the
            check.
        pipeline: default ``LoadCachedFeatures(flip_prob=0.5)`` + ``PackCachedFeatures``.
        clip_length: target frames per sample (1: window samples).
        check_headers: read the DICOM headers too (default False: the cache stands in for the files).
        **kwargs: as :class:`DSAVideoDataset` (``ann_file``, ``data_root``, ``num_frames``, ``views``,
            ``single_class``, ``filter_empty``, ...). ``test_mode`` is not supported: validation and
            testing run on pixels.
    """

    def __init__(
        self,
        cache_dir: str,
        source_pipeline: Sequence[dict] | None = None,
        pipeline: Sequence = DEFAULT_PIPELINE,
        clip_length: int = 1,
        check_headers: bool = False,
        **kwargs,
    ) -> None:
        if kwargs.get('test_mode'):
            raise ValueError(
                'CachedFeatureDataset: test_mode is not supported; validate and test on pixels '
                '(DSAVideoDataset with the test pipeline)'
            )
        if kwargs.get('num_frames') is None and 'num_frames' in kwargs:
            raise ValueError('CachedFeatureDataset: num_frames (window length T) must be an integer')
        self.cache_dir = str(cache_dir)
        self.source_pipeline = None if source_pipeline is None else [dict(t) for t in source_pipeline]
        super().__init__(
            pipeline=[dict(t) for t in pipeline],
            clip_length=clip_length,
            check_headers=check_headers,
            **kwargs,
        )

    def load_data_list(self) -> list[dict]:
        data_list = super().load_data_list()
        self._check_cache()
        return data_list

    def _check_cache(self) -> None:
        manifest = read_manifest(self.cache_dir)
        source = manifest_path(self.cache_dir)
        if self.source_pipeline is not None:
            expected = pipeline_fingerprint(self.source_pipeline)
            if manifest.pipeline_fingerprint != expected:
                raise FeatureCacheError(
                    f'{source}: field pipeline_fingerprint: the cache was computed with frame pipeline '
                    f'{manifest.pipeline_fingerprint}, this config uses {expected} (stale cache: rebuild it '
                    f'with python tools/cache_features.py CONFIG CKPT --out {self.cache_dir})'
                )
        for info in self._video_infos:
            video = manifest.videos.get(info['file_name'])
            if video is None:
                raise FeatureCacheError(
                    f'{source}: {info["file_name"]} (video id {info["video_id"]} of {self.ann_file}) is not '
                    f'in the cache; rebuild it with the split of this annotation file'
                )
            if video.num_frames != info['num_frames']:
                raise FeatureCacheError(
                    f'{source}: {info["file_name"]}: field num_frames: cached {video.num_frames} frames, '
                    f'{self.ann_file} says {info["num_frames"]} (stale cache)'
                )

    def _samples(self, info: dict) -> list[dict]:
        return [{**sample, 'feature_cache_dir': self.cache_dir} for sample in self.clip_samples(info)]
