"""Freeze-and-cache training, stage 2's input: the frozen backbone + PAFPN features of every frame.

python tools/cache_features.py CONFIG CHECKPOINT --out DIR [--splits train val] [--flip] [--data-root DIR]
    [--overwrite] [--cfg-options key=value ...]

CONFIG/CHECKPOINT: a trained per-frame detector (stage 1, e.g. configs/occlunet_frames_dsa_tiny.py); only its
backbone and neck are used. Every sequence of the splits' annotation files goes through the config's
validation pipeline once; DIR gets manifest.json (weights and pipeline fingerprints, shapes, videos) and
features/*.npy (float16, one per sequence; --flip adds the horizontally flipped frames' features for
augmentation). Stage 2 (e.g. configs/occlunet1_dsa_tiny_cached.py) trains only the temporal module and the
head on DIR and refuses a cache of other weights or another pipeline.
"""

from __future__ import annotations

import argparse

from mmengine.config import DictAction

import occlunet  # noqa: F401  (registers modules and the weights-only checkpoint loader)
from occlunet.apis import build_feature_cache


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('config', help='detector config (its backbone, neck, validation pipeline, splits)')
    parser.add_argument('checkpoint', help='stage-1 checkpoint (backbone and neck weights)')
    parser.add_argument('--out', required=True, help='cache directory')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'], choices=['train', 'val', 'test'])
    parser.add_argument('--flip', action='store_true', help='also cache horizontally flipped frames')
    parser.add_argument('--data-root', help="dataset root for every dataloader (default: the config's)")
    parser.add_argument('--overwrite', action='store_true', help='replace a cache of other weights/pipeline')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings, key=value')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    manifest = build_feature_cache(
        args.config,
        args.checkpoint,
        args.out,
        splits=args.splits,
        flip=args.flip,
        data_root=args.data_root,
        cfg_options=args.cfg_options,
        overwrite=args.overwrite,
    )
    frames = sum(v.num_frames for v in manifest.videos.values())
    print(
        f'feature cache {args.out}: {len(manifest.videos)} sequences, {frames} frames, '
        f'{manifest.channels} channels x {manifest.num_positions} positions, '
        f'weights {manifest.spatial_fingerprint}'
    )


if __name__ == '__main__':
    main()
