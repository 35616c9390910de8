"""A short hash of modules' weights and buffers: ties a feature cache to the weights that computed it."""

from __future__ import annotations

import hashlib

import torch
from torch import nn


def state_fingerprint(*modules: nn.Module) -> str:
    """Hash of the names, shapes, dtypes and values of the modules' state (parameters and buffers).

    Equal weights give equal fingerprints on any device; a single changed value changes it.
    """
    digest = hashlib.sha256()
    for index, module in enumerate(modules):
        for name, tensor in sorted(module.state_dict().items()):
            value = tensor.detach().cpu().contiguous()
            digest.update(f'{index}.{name}:{tuple(value.shape)}:{value.dtype};'.encode())
            digest.update(value.view(-1).view(torch.uint8).numpy().tobytes() if value.numel() else b'')
    return digest.hexdigest()[:16]


def state_version(*modules: nn.Module) -> tuple:
    """Cheap key that changes whenever a parameter or buffer is replaced or modified in place."""
    return tuple(
        (id(t), t.data_ptr(), t._version)
        for module in modules
        for t in (*module.parameters(), *module.buffers())
    )
