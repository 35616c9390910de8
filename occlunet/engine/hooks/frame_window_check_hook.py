"""Training starts only if the dataset's frame windows are the model's: same length T, same target frame.

The dataset labels each training window with the boxes of its target frame (``DSAVideoDataset``'s
``target_index``); the temporal neck returns the features of the frame at *its* ``target_index``. Two
configs set them, so a causal model (``target_index=-1``) trained on centred windows would learn every
label against the features of the wrong frame without any error: :func:`check_frame_windows` catches
that, and :class:`FrameWindowCheckHook` (in ``default_hooks`` of ``configs/_base_/default_runtime.py``)
runs it before the first training iteration.
"""

from __future__ import annotations

from typing import Any

from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

TRAIN_DATASET = 'train_dataloader.dataset'


def leaf_datasets(dataset: Any) -> list[Any]:
    """The datasets inside mmengine's wrappers (``ConcatDataset.datasets``, ``RepeatDataset.dataset``)."""
    inner = getattr(dataset, 'datasets', None)
    if inner is not None:
        return [leaf for d in inner for leaf in leaf_datasets(d)]
    wrapped = getattr(dataset, 'dataset', None)
    return [dataset] if wrapped is None else leaf_datasets(wrapped)


def check_frame_windows(dataset: Any, model: Any, dataset_name: str = TRAIN_DATASET) -> None:
    """Raise ``ValueError`` unless every window-mode dataset in ``dataset`` has the model's window.

    Models without a ``temporal_neck`` (the sequence classifier) and datasets of whole sequences (MinIP,
    validation) have no window to compare and pass.

    Args:
        dataset: the training dataset, possibly wrapped (Concat / Repeat / ClassBalanced).
        model: the detector (unwrapped from DDP), with ``temporal_neck.num_frames`` / ``.target_index``.
        dataset_name: the dataset's config path, for the message.
    """
    neck = getattr(model, 'temporal_neck', None)
    if neck is None:
        return
    for leaf in leaf_datasets(dataset):
        if not getattr(leaf, 'window_mode', False):
            continue
        if leaf.num_frames != neck.num_frames:
            raise ValueError(
                f'{dataset_name}.num_frames={leaf.num_frames} but model.temporal_neck '
                f'num_frames={neck.num_frames}: the dataset must give the model windows of its length; '
                'set the same num_frames in both configs'
            )
        if leaf.target_index != neck.target_index:
            raise ValueError(
                f'{dataset_name}.target_index={leaf.target_index} but model.temporal_neck '
                f'target_index={neck.target_index} (num_frames={neck.num_frames}): each window would be '
                f'labelled with the boxes of its frame {leaf.target_index} while the model detects on its '
                f'frame {neck.target_index}; set the same target_index in {dataset_name} and in '
                'model.temporal_neck.temporal_cfg (None for the centre frame, -1 for a causal window)'
            )


@HOOKS.register_module()
class FrameWindowCheckHook(Hook):
    """Before training, :func:`check_frame_windows` on the train dataset and the model."""

    priority = 'VERY_HIGH'

    def before_train(self, runner: Any) -> None:
        """Raise ``ValueError`` if the dataset's windows are not the model's (see the module)."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        check_frame_windows(runner.train_dataloader.dataset, model)
