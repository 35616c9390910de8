"""Many studies -> ``dicom/*.dcm`` + COCO-VID annotation JSONs with a seeded split by study.

Layout under ``out_dir``::

    dicom/S0003_PA.dcm, dicom/S0003_LAT.dcm, ...
    annotations/all.json, annotations/train.json, annotations/val.json, annotations/test.json
    generator.json                      # version, preset, seed, params and per-study draws (index, frame
                                        # times, injection, collateral grade): what re-simulates a study
    data_card.json, data_card.md        # what the data set contains (:mod:`.data_card`)

Video ids are ``2 * index + 1`` (PA) and ``2 * index + 2`` (LAT); an annotation has the id of its video (at
most one per video), so ids are unique and do not change with the split or the worker count. Output is
byte-identical for the same arguments: every random draw comes from (seed, study index).
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from .config import CATEGORIES, GENERATOR_VERSION, SynthParams
from .deficit import render_control, study_deficits
from .dicom_writer import XAHeader, write_xa
from .parallel import ordered_map
from .presets import DEFAULT_PRESET, PRESET_VERSIONS, preset_params
from .study import VIEWS, StudySimulation, simulate_study

SPLITS = ('train', 'val', 'test')
GENERATOR_FILE = 'generator.json'


def study_record(sim: StudySimulation) -> dict:
    """The per-study entry of ``generator.json``: what was drawn, beyond the annotation."""
    graded = sim.params.collateral_model == 'graded'
    return {
        'index': int(sim.index),
        'study_id': sim.study_id,
        'category': sim.category,
        'injection': sim.injection,
        'collateral_grade': sim.collateral.grade if graded and sim.collateral is not None else None,
        'reconstitution': 'reconstitution_t0' in sim.curves.info,
        'constant_rate': bool(sim.constant_rate),
        'frame_times': [round(float(t), 6) for t in sim.frame_times],
    }


def _make_study(job: tuple[int, int, SynthParams, str, str, bool]) -> dict:
    index, seed, params, out_dir, version, card = job
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
            fps=sim.frame_rate,
            bits_stored=params.bits_stored,
            imager_pixel_spacing=sim.imager_pixel_spacing,
            magnification=sim.magnification,
            primary_angle=vs.primary_angle,
            secondary_angle=vs.secondary_angle,
            series_number=k + 1,
            laterality='L' if sim.tree.side > 0 else 'R',
            frame_times=None if sim.constant_rate else tuple(float(t) for t in sim.frame_times),
            generator=f'occlunet.synth {version}',
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
    deficits = None
    if card and sim.category is not None:
        deficits = study_deficits(sim, render_control(index, seed, params))
    return {
        'videos': videos,
        'annotations': anns,
        'frames': 2 * sim.num_frames,
        'study': study_record(sim),
        'deficits': deficits,
    }


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
    preset: str = DEFAULT_PRESET,
    split=(0.7, 0.15, 0.15),
    workers: int = 1,
    progress: bool = True,
    card: bool = True,
    **params,
) -> dict:
    """Simulate ``num_studies`` studies and write DICOMs + annotation JSONs; returns a summary dict.

    ``preset`` names the defaults (:mod:`.presets`: ``'v2'`` current, ``'v1'`` generator 1.0.0); ``params``
    are :class:`SynthParams` fields that override them (e.g. ``frames_min=10``, ``classes=('M1', 'M2')``,
    ``compress='rle'``, ``bits_stored=10``, ``occlusion_fraction=0.6``). ``card`` also renders every
    occluded study's control run and writes ``data_card.json`` / ``.md`` (:mod:`.data_card`).
    """
    if num_studies < 1:
        raise ValueError(f'num_studies must be >= 1, got {num_studies}')
    if seed < 0:
        raise ValueError(f'seed must be >= 0, got {seed}')
    p = preset_params(preset, size=size, **params)
    version = PRESET_VERSIONS[preset]
    out = Path(out_dir)
    (out / 'dicom').mkdir(parents=True, exist_ok=True)
    (out / 'annotations').mkdir(parents=True, exist_ok=True)
    jobs = [(i, seed, p, str(out), version, card) for i in range(num_studies)]
    start = time.perf_counter()
    results = ordered_map(_make_study, jobs, workers, progress, 'synthetic DSA')
    seconds = time.perf_counter() - start
    frames = sum(r['frames'] for r in results)

    splits = split_studies(num_studies, split, seed)
    info_base = {
        'description': 'occlunet synthetic cerebral DSA',
        'generator': 'occlunet.synth',
        'version': version,
        'generator_version': GENERATOR_VERSION,
        'preset': preset,
        'seed': int(seed),
        'num_studies': int(num_studies),
        'split_ratios': [float(x) for x in split],
        'params': p.to_dict(),
    }
    all_videos = [v for r in results for v in r['videos']]
    all_anns = [a for r in results for a in r['annotations']]
    _dump(_coco(all_videos, all_anns, {**info_base, 'split': 'all'}), out / 'annotations' / 'all.json')
    for name, idx in splits.items():
        keep = set(idx)
        vids = [v for r_i, r in enumerate(results) if r_i in keep for v in r['videos']]
        anns = [a for r_i, r in enumerate(results) if r_i in keep for a in r['annotations']]
        _dump(_coco(vids, anns, {**info_base, 'split': name}), out / 'annotations' / f'{name}.json')
    _dump({**info_base, 'studies': [r['study'] for r in results]}, out / GENERATOR_FILE)
    names = {c['id']: c['name'] for c in CATEGORIES}
    per_class = Counter(names[a['category_id']] for a in all_anns if a['video_id'] % 2 == 1)
    summary = {
        'out_dir': str(out),
        'version': version,
        'preset': preset,
        'num_studies': num_studies,
        'num_videos': len(all_videos),
        'num_frames': frames,
        'num_occluded_studies': sum(per_class.values()),
        'per_class': dict(sorted(per_class.items())),
        'splits': {k: len(v) for k, v in splits.items()},
        'seconds': round(seconds, 2),
        'frames_per_second': round(frames / max(seconds, 1e-9), 1),
    }
    if card:  # a side output: the data set above is complete without it
        from .data_card import build_data_card, write_data_card

        deficits = {r['study']['study_id']: r['deficits'] for r in results if r['deficits'] is not None}
        try:
            summary['data_card'] = [
                str(f) for f in write_data_card(build_data_card(out, deficits=deficits), out)
            ]
        except (OSError, ValueError, KeyError) as exc:
            warnings.warn(f'{out}: the data set is complete, but its data card failed: {exc!r}', stacklevel=2)
            summary['data_card_error'] = repr(exc)
    return summary


def recorded_version(root: str | os.PathLike) -> str | None:
    """The generator version recorded with the data set at ``root`` (None: no ``annotations/all.json`` or
    not written by occlunet.synth): the data set is current when it equals ``GENERATOR_VERSION``."""
    path = Path(root) / 'annotations' / 'all.json'
    if not path.is_file():
        return None
    info = json.loads(path.read_text(encoding='utf-8')).get('info') or {}
    return info.get('version') if info.get('generator') == 'occlunet.synth' else None
