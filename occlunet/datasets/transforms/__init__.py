"""Sequence-consistent transforms for DSA samples (one random draw per sample, applied to every frame).

Typical pipelines::

    # OccluNet training (window of T frames, each stacked with its neighbours)
    [LoadDSASequence, ResizeSequence, NormalizeIntensity, NeighbourFrameStack, RandomSequenceFlip,
     PackDSAInputs]
    # MinIP baseline: dataset num_frames=None
    [LoadDSASequence, ResizeSequence, NormalizeIntensity, MinIntensityProjection, PackDSAInputs]
    # Mittmann et al. classifier: label_mode='sequence'
    [LoadDSASequence, ResizeSequence, NormalizeIntensity, FrameChunkStack, RandomSequenceFlip(vertical),
     RandomShiftScaleRotate, RandomContrast, RandomGaussianBlur, RandomGaussianNoise, RandomHalfResolution,
     PackDSAInputs]
    # test-time ablation of time (tools/test.py --time-order reverse|shuffle), whole-sequence test pipelines
    [LoadDSASequence, ReorderFrames, ResizeSequence, NormalizeIntensity, NeighbourFrameStack or
     MinIntensityProjection, PackDSAInputs]

The output contract is documented in :mod:`occlunet.datasets.transforms.formatting`.
"""

from .blur import RandomGaussianBlur
from .cached_features import LoadCachedFeatures, PackCachedFeatures
from .contrast import RandomContrast
from .flip import RandomSequenceFlip
from .formatting import DEFAULT_META_KEYS, PackDSAInputs
from .frame_chunk_stack import FrameChunkStack
from .half_resolution import RandomHalfResolution
from .loading import LoadDSASequence
from .min_intensity_projection import MinIntensityProjection
from .neighbour_frame_stack import NeighbourFrameStack
from .noise import RandomGaussianNoise
from .normalize import NormalizeIntensity
from .resize import ResizeSequence, resize_planes
from .shift_scale_rotate import RandomShiftScaleRotate
from .time_order import TIME_ORDERS, ReorderFrames, time_permutation

__all__ = [
    'LoadCachedFeatures',
    'PackCachedFeatures',
    'DEFAULT_META_KEYS',
    'TIME_ORDERS',
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
    'ReorderFrames',
    'ResizeSequence',
    'resize_planes',
    'time_permutation',
]
