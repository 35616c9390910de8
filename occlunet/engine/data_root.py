"""Point every dataloader of a config at another data root (``--data-root`` of the tools)."""

from __future__ import annotations

from mmengine.config import Config

DATALOADER_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def set_data_root(cfg: Config, data_root: str) -> list[str]:
    """Set ``dataset.data_root`` of every dataloader (and of datasets wrapped by ``dataset.dataset`` or
    ``dataset.datasets``) to ``data_root``, so one flag replaces three ``--cfg-options`` keys.

    Returns:
        The config keys that were changed, e.g. ``['train_dataloader.dataset.data_root', ...]``.
    """
    root = data_root if data_root.endswith('/') else data_root + '/'
    changed = []
    for key in DATALOADER_KEYS:
        loader = cfg.get(key)
        if not loader or 'dataset' not in loader:
            continue
        for path, dataset in leaf_datasets(loader['dataset'], f'{key}.dataset'):
            dataset['data_root'] = root
            changed.append(f'{path}.data_root')
    return changed


def leaf_datasets(dataset: dict, key: str) -> list[tuple[str, dict]]:
    """The datasets inside ``dataset`` (itself, or those wrapped by ``dataset.dataset`` such as
    RepeatDataset / ClassBalancedDataset, or ``dataset.datasets`` of a ConcatDataset), with their config
    keys, e.g. ``[('test_dataloader.dataset', {...})]``."""
    if 'dataset' in dataset:
        return leaf_datasets(dataset['dataset'], f'{key}.dataset')
    if 'datasets' in dataset:
        return [
            leaf
            for i, inner in enumerate(dataset['datasets'])
            for leaf in leaf_datasets(inner, f'{key}.datasets.{i}')
        ]
    return [(key, dataset)]
