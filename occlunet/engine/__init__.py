"""Runner-level pieces: the weights-only checkpoint loader, distributed set-up on CPU, AMP where possible."""

from . import hooks  # noqa: F401  (registers FrameWindowCheckHook, SequenceVisualizationHook)
from .amp_optim_wrapper_constructor import AmpIfAvailableOptimWrapperConstructor, amp_available
from .data_root import set_data_root
from .dist_setup import init_cpu_distributed, is_cpu_only
from .safe_checkpoint import (
    ALLOWED_GLOBALS,
    UnsafeCheckpointError,
    load_weights_only,
    register_safe_checkpoint_loader,
)
from .tool_config import load_tool_config, metric_accepts, set_time_order

register_safe_checkpoint_loader()

__all__ = [
    'ALLOWED_GLOBALS',
    'AmpIfAvailableOptimWrapperConstructor',
    'UnsafeCheckpointError',
    'amp_available',
    'init_cpu_distributed',
    'is_cpu_only',
    'load_tool_config',
    'load_weights_only',
    'metric_accepts',
    'register_safe_checkpoint_loader',
    'set_data_root',
    'set_time_order',
]
