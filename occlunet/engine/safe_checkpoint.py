"""Weights-only checkpoint loading for mmengine checkpoints on torch >= 2.6.

mmengine 0.10.7 calls ``torch.load(filename)`` without ``weights_only``. Since torch 2.6 that defaults to
``weights_only=True`` and refuses the Python objects the Runner writes into its own checkpoints (the message
hub's ``HistoryBuffer``, numpy scalars and dtypes), so ``load_from``, ``--resume`` and ``tools/test.py`` fail.
Turning ``weights_only`` off would run whatever code a pickle names. Instead we register a loader for local
paths that keeps ``weights_only=True`` and allows exactly the types the Runner writes. A checkpoint that needs
anything else is refused with :class:`UnsafeCheckpointError` naming the type.
"""

from __future__ import annotations

import builtins
import os.path as osp
import pickle
import re
from collections.abc import Callable

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint names a Python object outside the allow-list; it was not loaded."""


def _numpy_globals() -> list:
    """numpy objects that appear in pickled scalars, arrays and dtypes (numpy 1.x and 2.x names)."""
    allowed: list = [np.ndarray, np.dtype]
    core = getattr(np, '_core', None) or np.core  # numpy 2 moved np.core -> np._core
    allowed += [core.multiarray.scalar, core.multiarray._reconstruct]
    # numpy >= 1.25 pickles dtypes as instances of concrete classes such as numpy.dtypes.Float64DType.
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        allowed += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    return allowed


# What mmengine's Runner writes: the message hub's HistoryBuffer (whose pickled state holds bound
# methods, pickled as ``getattr(obj, name)``; the weights-only unpickler still refuses to *call* anything
# outside this list, so ``getattr`` can only read attributes), numpy scalars/arrays/dtypes in meta and logs.
ALLOWED_GLOBALS: tuple = (HistoryBuffer, builtins.getattr, *_numpy_globals())

# torch words this differently across versions ("Unsupported global: GLOBAL x.y was not an allowed global",
# "Trying to load unsupported GLOBAL posix.system whose module posix is blocked"); all name it after GLOBAL.
_GLOBAL_RE = re.compile(r'GLOBAL ([\w.]+)')
_OPCODE_RE = re.compile(r'Unsupported operand (\d+)')


def _refused_type(message: str) -> str:
    """The dotted name of the global the unpickler refused, parsed from torch's message."""
    match = _GLOBAL_RE.search(message)
    if match:
        return match.group(1)
    match = _OPCODE_RE.search(message)
    if match:  # e.g. a plain pickle.dump with protocol >= 4 (FRAME): not a torch.save file
        return f'pickle opcode {match.group(1)}, which torch.save never writes'
    return 'an object outside the allow-list'


def load_weights_only(filename: str, map_location: str | Callable | None = None) -> dict:
    """Load a local checkpoint with ``torch.load(weights_only=True)`` and the Runner's allow-list.

    Args:
        filename: path of a ``.pth`` file.
        map_location: as in :func:`torch.load`.

    Returns:
        The checkpoint dict (``state_dict``, ``meta``, ``message_hub``, ``optimizer``, ...).

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        UnsafeCheckpointError: the pickle names a type that is not allowed; nothing of it was executed.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        with torch.serialization.safe_globals(list(ALLOWED_GLOBALS)):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        refused = _refused_type(str(err))
        raise UnsafeCheckpointError(
            f"{filename}: refused to load checkpoint: it needs {refused}, which is not in occlunet's "
            'allow-list of checkpoint types (occlunet.engine.safe_checkpoint.ALLOWED_GLOBALS). Loading it '
            'would execute code named by the file. If you trust the file and the type is harmless, add the '
            'type with torch.serialization.add_safe_globals([...]) before loading.'
        ) from None


def register_safe_checkpoint_loader() -> None:
    """Make :func:`load_weights_only` the loader for local paths (prefix ``''``) in mmengine."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_weights_only, force=True)
