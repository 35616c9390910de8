"""Runner hooks: the train-time check of the frame windows, the test-time drawing of whole DSA sequences."""

from .frame_window_check_hook import FrameWindowCheckHook, check_frame_windows
from .sequence_visualization_hook import (
    SequenceVisualizationHook,
    add_sequence_visualization,
    is_sequence_test_config,
)

__all__ = [
    'FrameWindowCheckHook',
    'SequenceVisualizationHook',
    'add_sequence_visualization',
    'check_frame_windows',
    'is_sequence_test_config',
]
