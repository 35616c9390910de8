"""Multiply-accumulates of a callable, counted with mmengine's ``FlopAnalyzer`` (attention included)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn


class _Call(nn.Module):
    """A module whose forward is ``fn`` (FlopAnalyzer traces modules)."""

    def __init__(self, fn: Callable[..., object], owner: nn.Module) -> None:
        super().__init__()
        self.owner = owner
        self.fn = fn

    def forward(self, *inputs: Tensor) -> object:
        return self.fn(*inputs)


def _sdpa_macs(inputs: list, outputs: list) -> int:
    """Multiply-adds of ``aten::scaled_dot_product_attention``: Q K^T and the weighted sum of V."""
    from mmengine.analysis.jit_handles import get_shape

    q, k = get_shape(inputs[0]), get_shape(inputs[1])
    batch = int(np.prod(q[:-2]))
    return 2 * batch * q[-2] * k[-2] * q[-1]


def count_macs(fn: Callable[..., object], owner: nn.Module, inputs: tuple[Tensor, ...]) -> int:
    """Multiply-accumulates of ``fn(*inputs)`` (convolutions, linear layers, matmuls, attention) counted
    with mmengine's ``FlopAnalyzer`` (which reports one multiply-add as one "flop")."""
    from mmengine.analysis import FlopAnalyzer

    with torch.enable_grad():  # traced modules (fuse_for_inference) run eagerly: every op is counted
        analyzer = FlopAnalyzer(_Call(fn, owner), inputs)
        analyzer.set_op_handle('aten::scaled_dot_product_attention', _sdpa_macs)
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        analyzer.tracer_warnings('none')
        return int(analyzer.total())
