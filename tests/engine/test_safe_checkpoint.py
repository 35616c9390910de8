"""The weights-only checkpoint loader: reads what the Runner writes, refuses everything else."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

import occlunet  # noqa: F401
from occlunet.engine import UnsafeCheckpointError, load_weights_only


def _runner_like_checkpoint() -> dict:
    hub = MessageHub.get_instance('test_safe_checkpoint')
    for i in range(3):
        hub.update_scalar('train/loss', float(i))
    hub.update_info('epoch', np.int64(2))
    return dict(
        meta=dict(epoch=2, iter=30, seed=np.int64(0), np_scalar=np.float32(0.5), dtype=np.dtype('float32')),
        state_dict={'w': torch.arange(4.0)},
        message_hub=hub.state_dict(),
        optimizer={'state': {}, 'param_groups': [{'lr': 0.01}]},
        array=np.arange(5, dtype=np.int16),
    )


def test_reads_runner_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / 'ok.pth'
    torch.save(_runner_like_checkpoint(), path)
    ckpt = load_weights_only(str(path), map_location='cpu')
    assert torch.equal(ckpt['state_dict']['w'], torch.arange(4.0))
    assert ckpt['meta']['np_scalar'] == np.float32(0.5)
    assert ckpt['array'].dtype == np.int16
    hub = MessageHub.get_instance('test_safe_checkpoint_restored')
    hub.load_state_dict(ckpt['message_hub'])
    assert hub.get_scalar('train/loss').current() == 2.0


def test_registered_for_local_paths(tmp_path: Path) -> None:
    path = tmp_path / 'ok.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}}, path)
    assert CheckpointLoader._get_checkpoint_loader(str(path)) is load_weights_only
    assert torch.equal(_load_checkpoint(str(path))['state_dict']['w'], torch.ones(2))


class _Hostile:
    """Unpickling this would run ``os.system`` and create a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def test_refuses_code_execution(tmp_path: Path) -> None:
    marker = tmp_path / 'pwned'
    path = tmp_path / 'hostile.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'payload': _Hostile(marker)}, path)
    with pytest.raises(UnsafeCheckpointError, match=r'hostile\.pth.*system'):
        _load_checkpoint(str(path))
    assert not marker.exists()


def test_refuses_plain_pickle_of_unknown_class(tmp_path: Path) -> None:
    path = tmp_path / 'custom.pth'
    with open(path, 'wb') as f:
        # a harmless but unlisted type is still refused, by name (protocol 2, as torch.save writes)
        pickle.dump({'obj': Path('/tmp')}, f, protocol=2)
    with pytest.raises(UnsafeCheckpointError, match='PosixPath'):
        load_weights_only(str(path))


def test_refuses_foreign_pickle_protocol(tmp_path: Path) -> None:
    path = tmp_path / 'foreign.pth'
    with open(path, 'wb') as f:
        pickle.dump({'obj': [1, 2]}, f, protocol=4)  # FRAME opcodes: not something torch.save writes
    with pytest.raises(UnsafeCheckpointError, match=r'foreign\.pth.*opcode'):
        load_weights_only(str(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_weights_only(str(tmp_path / 'nope.pth'))
