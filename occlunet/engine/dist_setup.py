"""Distributed training without CUDA: mmengine's ``pytorch`` launcher assumes GPUs.

``mmengine.dist.init_dist('pytorch')`` calls ``torch.cuda.set_device`` and fails on a CPU-only torch, and the
Runner's default DDP wrapper passes ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU modules. On such a
machine the tools initialise the process group with ``gloo`` themselves (the Runner then skips its own
``init_dist``) and configure the wrapper with ``device_ids=None``. On CUDA nothing changes (``nccl``).
"""

from __future__ import annotations

import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config


def is_cpu_only() -> bool:
    """True when this torch cannot use a CUDA device."""
    return not torch.cuda.is_available()


def init_cpu_distributed(cfg: Config, timeout_s: int | None = None) -> None:
    """Set up a ``--launcher pytorch`` run on CPU: gloo process group and a CPU DDP wrapper.

    Reads the ``torchrun`` environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``).

    Args:
        cfg: the run's config; its ``model_wrapper_cfg`` gets ``device_ids=None`` and its
            ``env_cfg.dist_cfg.backend`` becomes ``'gloo'`` (recorded in the dumped config).
        timeout_s: optional process-group timeout in seconds.
    """
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        if key not in os.environ:
            raise RuntimeError(f'--launcher pytorch needs {key} in the environment: start with torchrun')
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters', cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
    env_cfg = cfg.setdefault('env_cfg', {})
    env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    if not torch_dist.is_initialized():
        kwargs = {}
        if timeout_s is not None:
            from datetime import timedelta

            kwargs['timeout'] = timedelta(seconds=timeout_s)
        torch_dist.init_process_group(backend='gloo', init_method='env://', **kwargs)
