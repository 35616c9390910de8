"""Backbones: mmdet's CSPDarknet fed stacks of neighbouring frames."""

from .multi_frame_csp_darknet import MultiFrameCSPDarknet, adapt_stem_kernel

__all__ = ['MultiFrameCSPDarknet', 'adapt_stem_kernel']
