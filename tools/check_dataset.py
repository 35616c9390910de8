"""Check DSA annotation files against their DICOMs and summarise the data set.

    python tools/check_dataset.py DATA_ROOT ANN [ANN ...] [--no-headers] [--decode]

Prints every problem (file, record id, field), then per file a summary of the valid records: videos,
frames, annotated videos, boxes per class and videos per view. Exit code 1 if any problem was found.
``ANN`` is a path, or relative to ``DATA_ROOT``. ``--decode`` also decodes every sequence's pixels (slow;
catches corrupt pixel data).
"""

from __future__ import annotations

import argparse
import os.path as osp
import sys
from collections import Counter

from occlunet.datasets import inspect_dsa_annotations
from occlunet.dicom import load_dsa


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Validate DSA annotation files and print a summary')
    parser.add_argument('data_root', help="directory the videos' file_name are relative to")
    parser.add_argument(
        'ann_files', nargs='+', metavar='ANN', help='annotation JSON (path or relative to DATA_ROOT)'
    )
    parser.add_argument('--no-headers', action='store_true', help='do not open the DICOM headers')
    parser.add_argument('--decode', action='store_true', help='also decode every sequence (slow)')
    return parser.parse_args(argv)


def resolve_ann(data_root: str, ann: str) -> str:
    """``ann`` as given if it exists, else joined with the data root."""
    return ann if osp.exists(ann) or osp.isabs(ann) else osp.join(data_root, ann)


def decode_problems(videos: list[dict]) -> list[str]:
    """Problems found by decoding every sequence's pixels."""
    problems = []
    for video in videos:
        try:
            load_dsa(video['img_path'])
        except (ValueError, OSError) as e:
            problems.append(f'video id={video["video_id"]}: unreadable pixels: {type(e).__name__}: {e}')
    return problems


def summary(ann_file: str, categories: list[dict], videos: list[dict]) -> list[str]:
    """Summary lines of the usable records of one annotation file."""
    names = {c['id']: c['name'] for c in categories}
    boxes = Counter(names[a['category_id']] for v in videos for a in v['annotations'])
    views = Counter(v['view'] for v in videos)
    annotated = sum(1 for v in videos if v['annotations'])
    lines = [
        f'{ann_file}:',
        f'  videos: {len(videos)} ({annotated} with occlusion, {len(videos) - annotated} without)',
        f'  frames: {sum(v["num_frames"] for v in videos)}',
        f'  boxes:  {sum(boxes.values())}',
    ]
    lines += [f'    {name}: {boxes.get(name, 0)}' for name in names.values()]
    lines.append('  videos per view:')
    lines += [f'    {view}: {count}' for view, count in sorted(views.items())]
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    total_problems = 0
    for ann in args.ann_files:
        ann_file = resolve_ann(args.data_root, ann)
        categories, videos, problems = inspect_dsa_annotations(
            ann_file, args.data_root, check_headers=not args.no_headers
        )
        if args.decode:
            problems += [f'{ann_file}: {p}' for p in decode_problems(videos)]
        for problem in problems:
            print(f'PROBLEM {problem}')
        total_problems += len(problems)
        lines = summary(ann_file, categories, videos)
        if problems:
            lines[0] = f'{ann_file}: {len(problems)} problem(s); summary of the valid records:'
        print('\n'.join(lines))
    print(f'{len(args.ann_files)} file(s) checked, {total_problems} problem(s)')
    return 1 if total_problems else 0


if __name__ == '__main__':
    sys.exit(main())
