"""The data card of a DSA data set: what it contains, per class and split, and what a MinIP keeps of each
occlusion.

Counts, run lengths and frame rates come from the annotation files and the DICOM headers (the frame times
the loader reads, FrameTimeVector included), so the card describes the data as written. For data written
by :mod:`occlunet.synth` the card adds the collateral grade of every occluded study and, from paired
occluded / control renders (:mod:`.deficit`), the share of each occlusion's deficit that the MinIP keeps
against the best single frame, in the downstream territory and in the ground-truth box. The pairs are
re-simulated from the generator version, seed, params and study index recorded with the data set (or passed
in by :func:`.dataset_writer.generate_dataset`, which has just rendered them).

``build_data_card(root)`` -> dict; ``write_data_card(card, out_dir)`` writes ``data_card.json`` and
``data_card.md`` (``tools/analysis/data_card.py`` is the command line).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np

from .config import CLASS_NAMES, COLLATERAL_GRADES
from .dataset_writer import GENERATOR_FILE, SPLITS
from .deficit import REGIONS, paired_deficits
from .parallel import ordered_map
from .presets import params_from_info

NO_OCCLUSION = 'no occlusion'
NOT_RECORDED = 'not recorded'  # collateral grade of data without one (generator 1.0.0, clinical data)
GROUPS = (*CLASS_NAMES, NO_OCCLUSION)
COLUMNS = ('all', *SPLITS)
#: Histogram edges: run length (s, first to last frame) and frames per run (the registry's 3-76 inside).
DURATION_EDGES_S = (0.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 20.0, math.inf)
FRAME_EDGES = (1, 10, 20, 30, 40, 50, 60, 77, math.inf)
RATE_DECIMALS = 2
CARD_FILES = ('data_card.json', 'data_card.md')


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding='utf-8'))


def _study_index(study_id: str) -> int | None:
    match = re.fullmatch(r'S(\d+)', study_id or '')
    return int(match.group(1)) if match else None


def load_studies(root: str | os.PathLike) -> tuple[dict, list[dict]]:
    """The ``info`` block of ``annotations/all.json`` and one record per study (PA + LAT runs): ``study_id``,
    ``index``, ``split``, ``category`` (a class name or :data:`NO_OCCLUSION`), ``frame_times`` (s, from the
    first run's DICOM header) and, from ``generator.json`` when present, ``collateral_grade``,
    ``injection``, ``reconstitution``."""
    from occlunet.dicom import read_dsa_header

    root = Path(root)
    every = _read_json(root / 'annotations' / 'all.json')
    names = {c['id']: c['name'] for c in every['categories']}
    split_of = {}
    for split in SPLITS:
        path = root / 'annotations' / f'{split}.json'
        if path.is_file():
            split_of.update({v['study_id']: split for v in _read_json(path)['videos']})
    category = {a['video_id']: names[a['category_id']] for a in every['annotations']}
    generated = root / GENERATOR_FILE
    drawn = {s['study_id']: s for s in _read_json(generated)['studies']} if generated.is_file() else {}
    studies: dict[str, dict] = {}
    for video in every['videos']:
        sid = video['study_id']
        if sid in studies:
            continue
        header = read_dsa_header(root / video['file_name'], max_frames=max(video['num_frames'], 1))
        times = header.frame_times
        extra = drawn.get(sid, {})
        studies[sid] = {
            'study_id': sid,
            'index': extra.get('index', _study_index(sid)),
            'split': split_of.get(sid),
            'category': category.get(video['id'], NO_OCCLUSION),
            'frame_times': None if times is None else [round(float(t), 6) for t in times],
            'collateral_grade': extra.get('collateral_grade'),
            'injection': extra.get('injection'),
            'reconstitution': extra.get('reconstitution'),
        }
    return every.get('info') or {}, list(studies.values())


def _resimulate(job: tuple[int, int, object]) -> dict | None:
    index, seed, params = job
    return paired_deficits(index, seed, params)


def _histogram(values: list[float], edges: tuple[float, ...]) -> list[int]:
    counts, _ = np.histogram(np.asarray(values, dtype=float), bins=np.asarray(edges, dtype=float))
    return [int(c) for c in counts]


def _rates(times: list[float] | None) -> list[float]:
    """The distinct frame rates (frames/s) a run uses."""
    if not times or len(times) < 2:
        return []
    return sorted({round(1.0 / step, RATE_DECIMALS) for step in np.diff(times) if step > 0})


def _edges(edges: tuple[float, ...]) -> list[float | None]:
    """Histogram edges for JSON: an infinite last edge is None."""
    return [e if math.isfinite(e) else None for e in edges]


def _spread(values: list[float]) -> dict:
    """n, median and quartiles of the finite values (None when there are none)."""
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    if len(v) == 0:
        return {'n': 0, 'median': None, 'q1': None, 'q3': None}
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return {'n': int(len(v)), 'median': float(med), 'q1': float(q1), 'q3': float(q3)}


def _by_column(studies: list[dict]) -> dict[str, list[dict]]:
    return {col: [s for s in studies if col == 'all' or s['split'] == col] for col in COLUMNS}


def summarise(studies: list[dict]) -> dict:
    """The card's tables from the study records (with ``deficits`` for occluded synthetic studies)."""
    cols = _by_column(studies)
    duration = {c: [s['frame_times'][-1] for s in v if s['frame_times']] for c, v in cols.items()}
    frames = {c: [len(s['frame_times']) for s in v if s['frame_times']] for c, v in cols.items()}
    rates = {c: Counter(r for s in v for r in _rates(s['frame_times'])) for c, v in cols.items()}
    occluded = [s for s in studies if s['category'] != NO_OCCLUSION]
    deficits = {}
    for group in (*CLASS_NAMES, 'all occluded'):
        members = [s for s in occluded if group in ('all occluded', s['category']) and s.get('deficits')]
        deficits[group] = {
            region: {
                kind: _spread([s['deficits'][region][kind] for s in members])
                for kind in ('minip', 'best_frame')
            }
            for region in REGIONS
        }
    return {
        'studies_per_class': {
            g: {c: sum(s['category'] == g for s in v) for c, v in cols.items()} for g in GROUPS
        },
        'run_length_s': {
            'edges': _edges(DURATION_EDGES_S),
            **{c: _histogram(d, DURATION_EDGES_S) for c, d in duration.items()},
        },
        'run_length_s_summary': {c: _spread(d) for c, d in duration.items()},
        'frames_per_run': {
            'edges': _edges(FRAME_EDGES),
            **{c: _histogram(f, FRAME_EDGES) for c, f in frames.items()},
        },
        'frames_per_run_summary': {c: _spread(f) for c, f in frames.items()},
        'frame_rates': {c: {f'{r:g}': n for r, n in sorted(cnt.items())} for c, cnt in rates.items()},
        'two_rate_runs': {c: sum(len(_rates(s['frame_times'])) > 1 for s in v) for c, v in cols.items()},
        'collateral_grades': {
            g: {
                **{
                    str(k): sum(s['category'] == g and s['collateral_grade'] == k for s in occluded)
                    for k in COLLATERAL_GRADES
                },
                NOT_RECORDED: sum(s['category'] == g and s['collateral_grade'] is None for s in occluded),
            }
            for g in CLASS_NAMES
        },
        'deficit_kept': deficits,
    }


def build_data_card(
    root: str | os.PathLike,
    *,
    deficits: dict[str, dict] | None = None,
    workers: int = 1,
    progress: bool = False,
) -> dict:
    """The data card of the data set at ``root`` (a dict, JSON-serialisable).

    Args:
        deficits: per ``study_id``, :func:`.deficit.study_deficits` of the occluded studies when already
            measured; None re-simulates them (synthetic data only; other data get no deficit table).
        workers: processes for the re-simulation.
    """
    info, studies = load_studies(root)
    synthetic = info.get('generator') == 'occlunet.synth'
    if synthetic and deficits is None:
        preset, params = params_from_info(info)
        todo = [s for s in studies if s['category'] != NO_OCCLUSION and s['index'] is not None]
        jobs = [(s['index'], int(info.get('seed', 0)), params) for s in todo]
        found = ordered_map(_resimulate, jobs, workers, progress, 'paired renders')
        deficits = {s['study_id']: d for s, d in zip(todo, found) if d is not None}
    for s in studies:
        found = (deficits or {}).get(s['study_id'])
        s['deficits'] = (
            None
            if found is None
            else {
                region: {k: (v if v is not None and math.isfinite(v) else None) for k, v in kinds.items()}
                for region, kinds in found.items()
            }
        )
    return {
        'dataset': {
            'generator': info.get('generator'),
            'version': info.get('version'),
            'generator_version': info.get('generator_version'),
            'preset': info.get('preset') or (params_from_info(info)[0] if synthetic else None),
            'seed': info.get('seed'),
            'num_studies': len(studies),
            'size': (info.get('params') or {}).get('size'),
        },
        **summarise(studies),
        'studies': studies,
    }


def _pct(spread: dict) -> str:
    if not spread['n']:
        return '-'
    return f'{100 * spread["median"]:.0f} % [{100 * spread["q1"]:.0f}-{100 * spread["q3"]:.0f}]'


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    return lines + ['| ' + ' | '.join(str(x) for x in row) + ' |' for row in rows]


def _edge_label(lo: float, hi: float | None, integer: bool) -> str:
    if hi is None:
        return f'>= {lo:g}'
    return f'{lo:g}-{hi - 1:g}' if integer else f'{lo:g}-{hi:g}'


def _histogram_table(card: dict, key: str, unit: str, integer: bool) -> list[str]:
    """A histogram of the card (``card[key]``, with its ``_summary``) as a table, one column per split."""
    hist = card[key]
    edges = hist['edges']
    rows = [
        [_edge_label(lo, hi, integer), *(hist[c][i] for c in COLUMNS)]
        for i, (lo, hi) in enumerate(zip(edges, edges[1:]))
    ]
    rows.append(['median [IQR]', *(_num(card[f'{key}_summary'][c]) for c in COLUMNS)])
    return _table([unit, *COLUMNS], rows)


def card_markdown(card: dict) -> str:
    """The card as Markdown tables."""
    d = card['dataset']
    out = [
        '# Data card',
        '',
        f'{d["num_studies"]} studies (PA + LAT runs each) at {d["size"]} px; generator {d["generator"]} '
        f'{d["version"]} (preset {d["preset"]}, code {d["generator_version"] or "-"}), seed {d["seed"]}.',
        '',
        '## Studies per class and split',
        '',
        *_table(['class', *COLUMNS], [[g, *card['studies_per_class'][g].values()] for g in GROUPS]),
        '',
        '## Run length (s, first to last frame): studies',
        '',
    ]
    out += [*_histogram_table(card, 'run_length_s', 's', integer=False), '', '## Frames per run: studies', '']
    out += [*_histogram_table(card, 'frames_per_run', 'frames', integer=True), '']
    rates = sorted({r for c in COLUMNS for r in card['frame_rates'][c]}, key=float)
    out += ['## Frame rates (frames/s): studies using each rate (a two-rate run counts at both)', '']
    rows = [[r, *(card['frame_rates'][c].get(r, 0) for c in COLUMNS)] for r in rates]
    rows.append(['two-rate runs', *(card['two_rate_runs'][c] for c in COLUMNS)])
    out += [*_table(['frames/s', *COLUMNS], rows), '']
    out += ['## Collateral grade (ASITN/SIR) of the occluded studies', '']
    grades = card['collateral_grades']
    out += [
        *_table(
            ['class', *map(str, COLLATERAL_GRADES), NOT_RECORDED],
            [[g, *grades[g].values()] for g in CLASS_NAMES],
        ),
        '',
    ]
    out += [
        "## Share of each occlusion's deficit kept: MinIP vs best single frame",
        '',
        "Median [IQR] over occluded studies of the share of the control run's iodine missing in the occluded "
        'run (PA and LAT together), from paired occluded/control renders: in the vessels downstream of the '
        'clot (territory) and in the ground-truth box. 100 %: the region stays empty; 0 %: it looks normal.',
        '',
    ]
    rows = []
    for group, regions in card['deficit_kept'].items():
        n = regions['territory']['minip']['n']
        rows.append([group, n, *(_pct(regions[r][k]) for r in REGIONS for k in ('minip', 'best_frame'))])
    out += _table(
        ['class', 'n', 'territory: MinIP', 'territory: best frame', 'box: MinIP', 'box: best frame'], rows
    )
    return '\n'.join(out) + '\n'


def _num(spread: dict) -> str:
    if not spread['n']:
        return '-'
    return f'{spread["median"]:.3g} [{spread["q1"]:.3g}-{spread["q3"]:.3g}]'


def write_data_card(card: dict, out_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``data_card.json`` and ``data_card.md`` into ``out_dir``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = (out / name for name in CARD_FILES)
    json_path.write_text(json.dumps(card, indent=1, allow_nan=False) + '\n', encoding='utf-8')
    md_path.write_text(card_markdown(card), encoding='utf-8')
    return json_path, md_path
