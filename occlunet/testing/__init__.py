"""Small data generators used by the tests and the smoke pipeline (no registered modules)."""

from .smoke_coco import smoke_cfg_options, write_smoke_coco

__all__ = ['smoke_cfg_options', 'write_smoke_coco']
