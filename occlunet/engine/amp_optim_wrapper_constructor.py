"""Mixed precision where an accelerator can do it, full precision elsewhere, from one config."""

from __future__ import annotations

from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.device import is_cuda_available, is_mlu_available, is_musa_available, is_npu_available
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

AMP_ONLY_KEYS = ('loss_scale', 'dtype', 'use_fsdp')  # AmpOptimWrapper's own arguments


def amp_available() -> bool:
    """Whether mmengine's ``AmpOptimWrapper`` can run here (it asserts one of these devices)."""
    return is_cuda_available() or is_npu_available() or is_mlu_available() or is_musa_available()


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class AmpIfAvailableOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, except that an ``AmpOptimWrapper`` becomes a plain ``OptimWrapper``
    (without ``loss_scale``, ``dtype``, ``use_fsdp``) on a machine without CUDA (or NPU/MLU/MUSA).

    Config files cannot test for CUDA; with ``optim_wrapper=dict(type='AmpOptimWrapper',
    constructor='AmpIfAvailableOptimWrapperConstructor', ...)`` a config trains with mixed precision on a
    GPU (Mittmann et al. trained with it) and still runs on a CPU. ``paramwise_cfg`` works as usual.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        cfg = dict(optim_wrapper_cfg)
        if cfg.get('type', 'OptimWrapper') == 'AmpOptimWrapper' and not amp_available():
            for key in AMP_ONLY_KEYS:
                cfg.pop(key, None)
            cfg['type'] = 'OptimWrapper'
            print_log('AmpOptimWrapper needs CUDA (or NPU/MLU/MUSA): training in full precision', 'current')
        super().__init__(cfg, paramwise_cfg)
