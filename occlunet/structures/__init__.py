"""Plain data rules shared by the datasets, the models and the inference APIs (no registered modules)."""

from .frame_window import check_num_frames, resolve_target_index, window_frame_indices

__all__ = ['check_num_frames', 'resolve_target_index', 'window_frame_indices']
