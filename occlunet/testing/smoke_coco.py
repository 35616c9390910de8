"""A tiny COCO-style image set for the tooling smoke pipeline: coloured rectangles on noise, 64x64 px."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

CLASSES = ('red', 'green', 'blue')
_BGR = {0: (40, 40, 230), 1: (40, 220, 40), 2: (230, 60, 40)}


def _image(rng: np.random.Generator, size: int) -> tuple[np.ndarray, list[dict]]:
    img = rng.integers(0, 90, size=(size, size, 3), dtype=np.uint8)
    objects = []
    for _ in range(int(rng.integers(1, 3))):
        w, h = (int(v) for v in rng.integers(size // 5, size // 2, size=2))
        x, y = int(rng.integers(0, size - w)), int(rng.integers(0, size - h))
        label = int(rng.integers(0, len(CLASSES)))
        cv2.rectangle(img, (x, y), (x + w - 1, y + h - 1), _BGR[label], thickness=-1)
        objects.append(dict(bbox=[x, y, w, h], category_id=label + 1))
    return img, objects


def write_smoke_coco(
    root: Path, num_train: int = 32, num_val: int = 8, size: int = 64, seed: int = 0
) -> Path:
    """Write ``root/images/*.png`` and ``root/{train,val}.json``; returns ``root``."""
    rng = np.random.default_rng(seed)
    (root / 'images').mkdir(parents=True, exist_ok=True)
    categories = [dict(id=i + 1, name=n) for i, n in enumerate(CLASSES)]
    ann_id = 1
    for split, count in (('train', num_train), ('val', num_val)):
        images, annotations = [], []
        for i in range(count):
            img, objects = _image(rng, size)
            name = f'{split}_{i:03d}.png'
            cv2.imwrite(str(root / 'images' / name), img)
            images.append(dict(id=i + 1, file_name=name, width=size, height=size))
            for obj in objects:
                x, y, w, h = obj['bbox']
                annotations.append(dict(id=ann_id, image_id=i + 1, area=w * h, iscrowd=0, **obj))
                ann_id += 1
        coco = dict(images=images, annotations=annotations, categories=categories)
        (root / f'{split}.json').write_text(json.dumps(coco))
    return root


def smoke_cfg_options(root: Path) -> dict[str, str]:
    """``--cfg-options`` entries that point configs/smoke/yolox_tiny_smoke.py at a set written above."""
    opts = {f'{split}_dataloader.dataset.data_root': f'{root}/' for split in ('train', 'val', 'test')}
    opts.update({f'{split}_evaluator.ann_file': f'{root}/val.json' for split in ('val', 'test')})
    return opts
