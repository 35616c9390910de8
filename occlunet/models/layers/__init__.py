"""Building blocks shared by the OccluNet modules (plain ``nn.Module``s, not registered)."""

from ...structures import check_num_frames, resolve_target_index, window_frame_indices  # re-exported
from .attention import (
    INIT_STD,
    SDPA_MAX_CUDA_BATCH,
    FeedForward,
    FusedMultiheadAttention,
    PreNormTransformerLayer,
    batched_sdpa,
    check_heads,
    init_transformer_weights,
    trunc_normal_init,
)
from .inference_fusion import CascadedSPP, TracedModule, fuse_for_inference

__all__ = [
    'INIT_STD',
    'SDPA_MAX_CUDA_BATCH',
    'CascadedSPP',
    'FeedForward',
    'FusedMultiheadAttention',
    'PreNormTransformerLayer',
    'TracedModule',
    'batched_sdpa',
    'check_heads',
    'check_num_frames',
    'fuse_for_inference',
    'init_transformer_weights',
    'resolve_target_index',
    'trunc_normal_init',
    'window_frame_indices',
]
