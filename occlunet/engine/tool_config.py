"""The config set-up shared by tools/train.py and tools/test.py (as in mmdet's tools)."""

from __future__ import annotations

import os.path as osp

from mmengine.config import Config

from .data_root import set_data_root


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
