"""Runner hooks: the test-time drawing of whole DSA sequences."""

from .sequence_visualization_hook import (
    SequenceVisualizationHook,
    add_sequence_visualization,
    is_sequence_test_config,
)

__all__ = ['SequenceVisualizationHook', 'add_sequence_visualization', 'is_sequence_test_config']
