"""Many studies -> ``dicom/*.dcm`` + COCO-VID annotation JSONs with a seeded split by study.

Layout under ``out_dir``::

    dicom/S0003_PA.dcm, dicom/S0003_LAT.dcm, ...
    annotations/all.json, annotations/train.json, annotations/val.json, annotations/test.json

Video ids are ``2 * index + 1`` (PA) and ``2 * index + 2`` (LAT); an annotation has the id of its video (at
most one per video), so ids are unique and do not change with the split or the worker count. Output is
byte-identical for the same arguments: every random draw comes from (seed, study index).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .config import CATEGORIES, GENERATOR_VERSION, SynthParams
from .dicom_writer import XAHeader, write_xa
from .study import VIEWS, simulate_study

SPLITS = ('train', 'val', 'test')


def _make_study(job: tuple[int, int, SynthParams, str]) -> tuple[list[dict], list[dict], int]:
    index, seed, params, out_dir = job
    sim = simulate_study(index, seed, params)
    for k, view in enumerate(VIEWS):
        vs = sim.views[view]
        header = XAHeader(
            patient_id=sim.patient_id,
            study_id=sim.study_id,
            study_uid=sim.study_uid,
            series_uid=vs.series_uid,
            sop_uid=vs.sop_uid,
            acquired=sim.acquired,
            view=view,
            fps=sim.fps,
            bits_stored=params.bits_stored,
            imager_pixel_spacing=sim.imager_pixel_spacing,
            magnification=sim.magnification,
            primary_angle=vs.primary_angle,
            secondary_angle=vs.secondary_angle,
            series_number=k + 1,
            laterality='L' if sim.tree.side > 0 else 'R',
        )
        write_xa(Path(out_dir) / 'dicom' / f'{sim.study_id}_{view}.dcm', vs.stored, header, params.compress)
    videos = sim.video_records()
    for k, v in enumerate(videos):
        v['id'] = 2 * index + 1 + k
    anns = sim.annotation_records()
    for a in anns:
        a['video_id'] = 2 * index + 1 + VIEWS.index(a.pop('view'))
        a['id'] = a['video_id']
    videos = [{'id': v.pop('id'), **v} for v in videos]
    anns = [{'id': a.pop('id'), 'video_id': a.pop('video_id'), **a} for a in anns]
    return videos, anns, 2 * sim.num_frames


def split_studies(num_studies: int, ratios, seed: int) -> dict[str, list[int]]:
    """Seeded random split of study indices by ``ratios`` (train, val, test); normalised, disjoint."""
    r = np.asarray(ratios, dtype=float)
    if r.shape != (3,) or np.any(r < 0) or r.sum() <= 0:
        raise ValueError(f'split needs three non-negative ratios, got {ratios}')
    r = r / r.sum()
    perm = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5B117])).permutation(num_studies)
    n_train = int(round(r[0] * num_studies))
    n_val = min(int(round(r[1] * num_studies)), num_studies - n_train)
    parts = (perm[:n_train], perm[n_train : n_train + n_val], perm[n_train + n_val :])
    return {name: sorted(int(i) for i in part) for name, part in zip(SPLITS, parts)}


def _coco(videos: list[dict], anns: list[dict], info: dict) -> dict:
    return {'info': info, 'categories': [dict(c) for c in CATEGORIES], 'videos': videos, 'annotations': anns}


def _dump(obj: dict, path: Path) -> None:
    path.write_text(json.dumps(obj, indent=1) + '\n', encoding='utf-8')


def generate_dataset(
    out_dir: str | os.PathLike,
    num_studies: int,
    size: int = 512,
    seed: int = 0,
    *,
    split=(0.7, 0.15, 0.15),
    workers: int = 1,
    progress: bool = True,
    **params,
) -> dict:
    """Simulate ``num_studies`` studies and write DICOMs + annotation JSONs; returns a summary dict.

    ``params`` are :class:`SynthParams` fields (e.g. ``frames_min=10``, ``classes=('M1', 'M2')``,
    ``compress='rle'``, ``bits_stored=10``, ``occlusion_fraction=0.6``).
    """
    if num_studies < 1:
        raise ValueError(f'num_studies must be >= 1, got {num_studies}')
    if seed < 0:
        raise ValueError(f'seed must be >= 0, got {seed}')
    p = SynthParams(size=size, **params)
    out = Path(out_dir)
    (out / 'dicom').mkdir(parents=True, exist_ok=True)
    (out / 'annotations').mkdir(parents=True, exist_ok=True)
    jobs = [(i, seed, p, str(out)) for i in range(num_studies)]
    start = time.perf_counter()
    results = []
    bar = tqdm(total=num_studies, unit='study', desc='synthetic DSA', disable=not progress)
    if workers > 1:
        ctx = mp.get_context('fork') if 'fork' in mp.get_all_start_methods() else mp.get_context()
        with ctx.Pool(workers) as pool:
            for res in pool.imap(_make_study, jobs, chunksize=1):
                results.append(res)
                bar.update(1)
    else:
        for job in jobs:
            results.append(_make_study(job))
            bar.update(1)
    bar.close()
    seconds = time.perf_counter() - start
    frames = sum(r[2] for r in results)

    splits = split_studies(num_studies, split, seed)
    info_base = {
        'description': 'occlunet synthetic cerebral DSA',
        'generator': 'occlunet.synth',
        'version': GENERATOR_VERSION,
        'seed': int(seed),
        'num_studies': int(num_studies),
        'split_ratios': [float(x) for x in split],
        'params': p.to_dict(),
    }
    all_videos = [v for r in results for v in r[0]]
    all_anns = [a for r in results for a in r[1]]
    _dump(_coco(all_videos, all_anns, {**info_base, 'split': 'all'}), out / 'annotations' / 'all.json')
    for name, idx in splits.items():
        keep = set(idx)
        vids = [v for r_i, r in enumerate(results) if r_i in keep for v in r[0]]
        anns = [a for r_i, r in enumerate(results) if r_i in keep for a in r[1]]
        _dump(_coco(vids, anns, {**info_base, 'split': name}), out / 'annotations' / f'{name}.json')
    names = {c['id']: c['name'] for c in CATEGORIES}
    per_class = Counter(names[a['category_id']] for a in all_anns if a['video_id'] % 2 == 1)
    return {
        'out_dir': str(out),
        'num_studies': num_studies,
        'num_videos': len(all_videos),
        'num_frames': frames,
        'num_occluded_studies': sum(per_class.values()),
        'per_class': dict(sorted(per_class.items())),
        'splits': {k: len(v) for k, v in splits.items()},
        'seconds': round(seconds, 2),
        'frames_per_second': round(frames / max(seconds, 1e-9), 1),
    }
