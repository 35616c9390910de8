"""The config set-up shared by tools/train.py and tools/test.py (as in mmdet's tools)."""

from __future__ import annotations

import inspect
import os.path as osp

from mmdet.registry import METRICS
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope

from .data_root import leaf_datasets, set_data_root

LOAD_STEP = 'LoadDSASequence'  # the time-order step goes right after it
TIME_ORDER_STEP = 'ReorderFrames'


def load_tool_config(
    config: str,
    launcher: str = 'none',
    data_root: str | None = None,
    cfg_options: dict | None = None,
    work_dir: str | None = None,
) -> Config:
    """Read ``config``; apply ``--data-root``, then ``--cfg-options``; set the launcher and the work dir
    (``--work-dir``, else the config's, else ``./work_dirs/<config name>``)."""
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if data_root is not None:
        set_data_root(cfg, data_root)
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


def metric_accepts(metric: dict, argument: str) -> bool:
    """Whether an evaluator config's metric takes ``argument`` (set in the config, or a parameter of its
    registered class's ``__init__``)."""
    if argument in metric:
        return True
    kind = metric.get('type')
    with DefaultScope.overwrite_default_scope('mmdet'):
        cls = METRICS.get(kind) if isinstance(kind, str) else kind
    return cls is not None and argument in inspect.signature(cls.__init__).parameters


def _step_name(step: dict) -> str:
    kind = step.get('type')
    return kind if isinstance(kind, str) else getattr(kind, '__name__', str(kind))


def set_time_order(cfg: Config, order: str, seed: int = 0) -> list[str]:
    """Test sequences in another frame order: ``ReorderFrames(order, seed)`` right after the loading step
    of every test dataset's pipeline (replacing one already there), and ``time_order`` / ``time_seed`` in
    the settings that the test metrics write (those with an ``extra_settings`` argument, e.g.
    ``SequenceDetectionMetric``'s ``out_file``).

    Call it after ``--cfg-options`` are merged, so that their pipeline indices refer to the config's own
    pipeline.

    Args:
        cfg: a config with ``test_dataloader`` (whole-sequence samples: OccluNet, MinIP, classifier).
        order: ``'forward'``, ``'reverse'`` or ``'shuffle'``.
        seed: seed of the per-sequence shuffles.

    Returns:
        The config keys of the changed pipelines, e.g. ``['test_dataloader.dataset.pipeline']``.

    Raises:
        ValueError: an unknown order, or a test pipeline without ``LoadDSASequence`` (named with its key).
    """
    from occlunet.datasets.transforms import TIME_ORDERS

    if order not in TIME_ORDERS:
        raise ValueError(f'time order must be one of {TIME_ORDERS}, got {order!r}')
    changed = []
    for key, dataset in leaf_datasets(cfg.test_dataloader.dataset, 'test_dataloader.dataset'):
        pipeline = [step for step in dataset.get('pipeline', []) if _step_name(step) != TIME_ORDER_STEP]
        names = [_step_name(step) for step in pipeline]
        if LOAD_STEP not in names:
            raise ValueError(f'{key}.pipeline has no {LOAD_STEP} step to reorder the frames after: {names}')
        at = names.index(LOAD_STEP) + 1
        pipeline.insert(at, ConfigDict(type=TIME_ORDER_STEP, order=order, seed=int(seed)))
        dataset['pipeline'] = pipeline
        changed.append(f'{key}.pipeline')
    evaluator = cfg.get('test_evaluator') or []
    for metric in evaluator if isinstance(evaluator, list) else [evaluator]:
        if metric_accepts(metric, 'extra_settings'):
            recorded = dict(metric.get('extra_settings') or {})
            metric['extra_settings'] = {**recorded, 'time_order': order, 'time_seed': int(seed)}
    return changed
