"""Inference-only rewrites of a trained YOLOX-style model: same outputs (to float rounding), less CPU time.

:func:`fuse_for_inference` works on any mmdet model built from mmcv ``ConvModule``s (OccluNet, mmdet's
YOLOX), so a benchmark can give the baseline the same treatment. It changes, in place:

1. every ``Conv2d`` followed by a ``BatchNorm`` in the same module gets the BN folded into its weights and
   bias (mmcv's ``fuse_conv_bn``; the BN becomes an ``Identity``): one pass over each activation less;
2. mmcv's ``Swish`` (``x * sigmoid(x)``, two kernels and a temporary) becomes ``nn.SiLU``, the same
   function in one kernel;
3. mmdet's ``SPPBottleneck`` with max-pools of kernels ``k, 2k - 1, 3k - 2, ...`` (YOLOX: 5, 9, 13) pools
   in a cascade (SPPF, as in YOLOv5): with stride 1 and ``-inf`` padding, a ``(2k - 1)``-max-pool equals a
   ``k``-max-pool applied twice, exactly, so the three pools cost three 5x5 pools instead of 5, 9 and 13;
4. with ``channels_last``, the 4-D weights are stored NHWC, so oneDNN (CPU) and cuDNN (GPU) convolutions
   run on NHWC activations without reordering them; the activations follow the weights' layout;
5. with ``trace``, the model's ``backbone`` and ``neck`` become :class:`TracedModule`s: on CPU, outside
   autograd and autocast, they run a frozen TorchScript trace of themselves (one per input shape), which
   skips the Python dispatch of their ~200 modules (and takes the cheaper kernels ``max_pool2d`` without
   indices); elsewhere they run as they are. Same operations, bit-identical outputs.

The model must be in eval mode (BN folding uses the running statistics) and is no longer trainable.
"""

from __future__ import annotations

import torch
from mmcv.cnn import fuse_conv_bn
from mmcv.cnn.bricks import Swish
from mmdet.models.backbones.csp_darknet import SPPBottleneck
from torch import Tensor, nn


class CascadedSPP(nn.Module):
    """``SPPBottleneck`` with its max-pools as a cascade of one pool (same convs, same output).

    Args:
        spp: the module to replace; its ``conv1`` and ``conv2`` are reused.
        kernel_size: the smallest pool kernel k; pool i (0-based) of the original has ``(i + 1)(k - 1) + 1``.
        num_pools: number of pools of the original.

    Shape:
        x: (N, C, H, W) -> (N, C_out, H, W)
    """

    def __init__(self, spp: SPPBottleneck, kernel_size: int, num_pools: int) -> None:
        super().__init__()
        self.conv1 = spp.conv1
        self.conv2 = spp.conv2
        self.pool = nn.MaxPool2d(kernel_size, stride=1, padding=kernel_size // 2)
        self.num_pools = num_pools

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv1(x)
        pooled = [x]
        for _ in range(self.num_pools):
            pooled.append(self.pool(pooled[-1]))
        return self.conv2(torch.cat(pooled, dim=1))  # (N, (num_pools + 1) C_mid, H, W) -> conv2


def cascade_kernel(spp: SPPBottleneck) -> int | None:
    """The base kernel k when the pools of ``spp`` are a cascade of k-pools (kernels k, 2k - 1, ...,
    stride 1, padding k // 2), else None."""
    pools = list(spp.poolings)
    if not pools:
        return None
    sizes, strides, pads, dilations = [], [], [], []
    for pool in pools:
        if not isinstance(pool, nn.MaxPool2d) or pool.ceil_mode:
            return None
        sizes.append(pool.kernel_size)
        strides.append(pool.stride)
        pads.append(pool.padding)
        dilations.append(pool.dilation)
    if (
        not all(isinstance(s, int) for s in sizes)
        or any(s != 1 for s in strides)
        or any(d != 1 for d in dilations)
    ):
        return None
    k = sizes[0]
    expected = [(i + 1) * (k - 1) + 1 for i in range(len(sizes))]
    if k % 2 == 0 or sizes != expected or pads != [s // 2 for s in sizes]:
        return None
    return k


class TracedModule(nn.Module):
    """``module`` run through a frozen TorchScript trace of it, one per input signature (CPU inference).

    The trace is made on the first call with a new (shape, stride, dtype) of the input, under
    ``torch.no_grad``; calls on another device, with gradients or under autocast run ``module`` itself.

    Args:
        module: a module whose ``forward`` takes one tensor or one tuple of tensors and whose operations do
            not depend on the input's values (a backbone, a neck).

    Shape:
        as ``module``.
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module
        self._traces: dict[tuple, torch.jit.ScriptModule] = {}

    @staticmethod
    def _signature(x: Tensor | tuple[Tensor, ...]) -> tuple | None:
        tensors = x if isinstance(x, tuple | list) else (x,)
        if not all(torch.is_tensor(t) and t.device.type == 'cpu' for t in tensors):
            return None
        return tuple((tuple(t.shape), t.stride(), t.dtype) for t in tensors)

    def forward(self, x: Tensor | tuple[Tensor, ...]) -> object:
        key = self._signature(x)
        if key is None or torch.is_grad_enabled() or torch.is_autocast_enabled('cpu') or self.training:
            return self.module(x)
        trace = self._traces.get(key)
        if trace is None:
            example = (tuple(x),) if isinstance(x, tuple | list) else (x,)
            with torch.no_grad():
                traced = torch.jit.trace(self.module, example, check_trace=False)
                trace = self._traces[key] = torch.jit.freeze(traced.eval())
        return trace(tuple(x) if isinstance(x, tuple | list) else x)


def _replace_children(module: nn.Module) -> None:
    for name, child in module.named_children():
        if isinstance(child, Swish):
            module._modules[name] = nn.SiLU()
        elif isinstance(child, SPPBottleneck) and (k := cascade_kernel(child)) is not None:
            module._modules[name] = CascadedSPP(child, k, len(child.poolings))
            _replace_children(module._modules[name])
        else:
            _replace_children(child)


def fuse_for_inference(model: nn.Module, channels_last: bool = True, trace: bool = True) -> nn.Module:
    """Fold BN into convolutions, fuse Swish, cascade SPP pools, NHWC weights, traced backbone and neck
    (module docstring); in place.

    Args:
        model: a model in eval mode.
        channels_last: store 4-D parameters channels-last (``model.to(memory_format=torch.channels_last)``).
        trace: wrap ``model.backbone`` and ``model.neck`` (where present) in :class:`TracedModule`.

    Returns:
        ``model``.
    """
    if model.training:
        raise ValueError('fuse_for_inference: the model must be in eval mode (BN folding uses running stats)')
    fuse_conv_bn(model)
    _replace_children(model)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    if trace:
        for name in ('backbone', 'neck'):
            child = getattr(model, name, None)
            if isinstance(child, nn.Module) and not isinstance(child, TracedModule):
                setattr(model, name, TracedModule(child))
    return model
