"""AmpIfAvailableOptimWrapperConstructor: AmpOptimWrapper where it can run, plain OptimWrapper elsewhere."""

from __future__ import annotations

import pytest
import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper, build_optim_wrapper
from mmengine.registry import DefaultScope

import occlunet.engine.amp_optim_wrapper_constructor as amp_module

AMP_CFG = dict(
    type='AmpOptimWrapper',
    constructor='AmpIfAvailableOptimWrapperConstructor',
    loss_scale='dynamic',
    dtype='float16',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-2),
    paramwise_cfg=dict(norm_decay_mult=0.0),
)


def build(cfg: dict) -> OptimWrapper:
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.LayerNorm(2))
    with DefaultScope.overwrite_default_scope('mmdet'):
        return build_optim_wrapper(model, cfg)


def test_without_an_accelerator_amp_becomes_full_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(amp_module, 'amp_available', lambda: False)
    wrapper = build(AMP_CFG)
    assert type(wrapper) is OptimWrapper
    assert isinstance(wrapper.optimizer, torch.optim.AdamW)
    assert wrapper.optimizer.param_groups[0]['lr'] == 1e-3
    decays = sorted(g['weight_decay'] for g in wrapper.optimizer.param_groups)
    assert decays[0] == 0.0 and decays[-1] == 1e-2  # paramwise_cfg still applied (LayerNorm: no decay)


def test_plain_optim_wrapper_is_unchanged() -> None:
    cfg = {k: v for k, v in AMP_CFG.items() if k not in ('loss_scale', 'dtype')} | dict(type='OptimWrapper')
    assert type(build(cfg)) is OptimWrapper


@pytest.mark.skipif(not torch.cuda.is_available(), reason='AmpOptimWrapper needs CUDA')
def test_with_cuda_amp_is_kept() -> None:
    assert isinstance(build(AMP_CFG), AmpOptimWrapper)
