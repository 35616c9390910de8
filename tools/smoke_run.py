"""Prove the tooling end to end: write the tiny smoke image set, train the smoke YOLOX, test it.

python tools/smoke_run.py [--work-dir work_dirs/smoke]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from occlunet.testing import smoke_cfg_options, write_smoke_coco

REPO = Path(__file__).resolve().parents[1]
CONFIG = 'configs/smoke/yolox_tiny_smoke.py'


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--work-dir', default='work_dirs/smoke')
    args = parser.parse_args()
    work_dir = Path(args.work_dir).resolve()
    data = write_smoke_coco(work_dir / 'data')
    opts = ['--cfg-options', *(f'{k}={v}' for k, v in smoke_cfg_options(data).items())]
    subprocess.run(
        [sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work_dir), *opts], cwd=REPO, check=True
    )
    ckpt = (work_dir / 'last_checkpoint').read_text().strip()
    subprocess.run(
        [sys.executable, 'tools/test.py', CONFIG, ckpt, '--work-dir', str(work_dir), *opts],
        cwd=REPO,
        check=True,
    )


if __name__ == '__main__':
    main()
