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
        changed += _set_in_dataset(loader['dataset'], root, f'{key}.dataset')
    return changed


def _set_in_dataset(dataset: dict, root: str, key: str) -> list[str]:
    if 'dataset' in dataset:  # wrappers such as RepeatDataset / ClassBalancedDataset
        return _set_in_dataset(dataset['dataset'], root, f'{key}.dataset')
    if 'datasets' in dataset:  # ConcatDataset
        changed = []
        for i, inner in enumerate(dataset['datasets']):
            changed += _set_in_dataset(inner, root, f'{key}.datasets.{i}')
        return changed
    dataset['data_root'] = root
    return [f'{key}.data_root']
