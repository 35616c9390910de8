"""`make demo`: the project's main job on the embedded synthetic data, one progress line per stage.

Stages so far (the detector and classifier issues add training, testing and the report):
  1. generate the default synthetic DSA dataset if it is absent (tools/make_synthetic.py)
  2. validate it (tools/check_dataset.py)
  3. write browse GIFs/MinIP PNGs of a few sequences (tools/browse_dataset.py)
  4. smoke-train and test the tooling (tools/train.py, tools/test.py) on a tiny image set

    python tools/demo.py [--quick] [--data-root data/synth_dsa] [--work-dir work_dirs/demo]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Full and quick (DEMO_QUICK=1) dataset sizes; the quick one exercises the same code path in minutes.
DATASETS = {
    'full': dict(root='data/synth_dsa', studies=200, size=512),
    'quick': dict(root='data/synth_dsa_quick', studies=24, size=256),
}


def stage(number: int, total: int, title: str, cmd: list[str]) -> None:
    print(f'[demo {number}/{total}] {title} ...', flush=True)
    start = time.monotonic()
    subprocess.run([sys.executable, *cmd], cwd=REPO, check=True)
    print(f'[demo {number}/{total}] {title}: done in {time.monotonic() - start:.0f} s', flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--quick', action='store_true', help='smaller data and schedules, for a first look')
    parser.add_argument('--data-root', help='dataset directory (default depends on --quick)')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    args = parser.parse_args()

    spec = DATASETS['quick' if args.quick else 'full']
    data_root = Path(args.data_root or spec['root'])
    work_dir = Path(args.work_dir)
    all_json = data_root / 'annotations' / 'all.json'
    total = 4
    if all_json.exists():
        print(f'[demo 1/{total}] dataset {data_root} exists; not regenerated', flush=True)
    else:
        stage(1, total, f'generate {spec["studies"]} studies at {spec["size"]} px into {data_root}',
              ['tools/make_synthetic.py', '--out', str(data_root), '--studies', str(spec['studies']),
               '--size', str(spec['size']), '--seed', '0'])  # fmt: skip
    stage(2, total, 'checking the dataset', ['tools/check_dataset.py', str(data_root), str(all_json)])
    stage(3, total, f'writing browse GIFs to {work_dir / "browse"}',
          ['tools/browse_dataset.py', str(data_root), str(all_json), '--out-dir', str(work_dir / 'browse'),
           '--max-videos', '6'])  # fmt: skip
    stage(4, total, 'smoke-training and testing the tooling', ['tools/smoke_run.py', '--work-dir',
          str(work_dir / 'smoke')])  # fmt: skip
    print(f'[demo] finished; outputs under {work_dir}', flush=True)


if __name__ == '__main__':
    main()
