"""DSA datasets and transforms shared by the OccluNet detector and the Mittmann et al. classifier."""

from .annotations import (
    DSA_CATEGORIES,
    SINGLE_CLASS,
    DSAAnnotationError,
    find_annotation_problems,
    inspect_dsa_annotations,
    load_dsa_annotations,
    load_dsa_categories,
)
from .cached_feature_dataset import CachedFeatureDataset
from .dsa_video_dataset import DSAVideoDataset, clip_frame_ids, clip_target_starts, window_frame_ids
from .feature_cache import FeatureCacheError, FeatureCacheManifest, read_manifest
from .sequence_cache import DEFAULT_CACHE_BYTES, SequenceCache
from .transforms import (
    DEFAULT_META_KEYS,
    FrameChunkStack,
    LoadDSASequence,
    MinIntensityProjection,
    NeighbourFrameStack,
    NormalizeIntensity,
    PackDSAInputs,
    RandomContrast,
    RandomGaussianBlur,
    RandomGaussianNoise,
    RandomHalfResolution,
    RandomSequenceFlip,
    RandomShiftScaleRotate,
    ResizeSequence,
)

__all__ = [
    'CachedFeatureDataset',
    'FeatureCacheError',
    'FeatureCacheManifest',
    'read_manifest',
    'DEFAULT_CACHE_BYTES',
    'DSA_CATEGORIES',
    'SINGLE_CLASS',
    'DSAAnnotationError',
    'DSAVideoDataset',
    'SequenceCache',
    'find_annotation_problems',
    'inspect_dsa_annotations',
    'load_dsa_annotations',
    'load_dsa_categories',
    'window_frame_ids',
    'clip_frame_ids',
    'clip_target_starts',
    'DEFAULT_META_KEYS',
    'FrameChunkStack',
    'LoadDSASequence',
    'MinIntensityProjection',
    'NeighbourFrameStack',
    'NormalizeIntensity',
    'PackDSAInputs',
    'RandomContrast',
    'RandomGaussianBlur',
    'RandomGaussianNoise',
    'RandomHalfResolution',
    'RandomSequenceFlip',
    'RandomShiftScaleRotate',
    'ResizeSequence',
]
