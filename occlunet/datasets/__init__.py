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
from .dsa_video_dataset import DSAVideoDataset, clip_frame_ids, clip_target_starts, window_frame_ids
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
