"""Find occlusions in DSA DICOM files with a trained model: no annotations needed.

python tools/infer.py CONFIG CHECKPOINT PATH [PATH ...] --out-dir DIR [--score-thr T] [--device cpu]
    [--no-gif] [--gif-size 512] [--fps F] [--no-stream] [--cfg-options key=value ...]

PATH: DICOM files, or folders searched recursively for ``*.dcm`` files (any case) and for extension-less
files that carry the DICOM preamble (``DICM`` at byte 128, or File Meta Information at byte 0). Every file
is one whole DSA run; the config's test pipeline prepares it and the model predicts per-frame detections
and links them into tracks (``occlunet.apis.SequenceInferencer``). OccluNet configs run frame by frame:
decode, compute the sequence's intensity range as the test pipeline does, then ``push`` each frame (only
the last frames' network inputs and features are held; the result equals the whole-sequence prediction).
``--no-stream`` and the MinIP baseline predict on the whole sequence at once. A sequence has a finding when
its best track's confidence (mean detection confidence) is ``>= score_thr`` (``--score-thr``, default: the
config's ``test_evaluator.score_thr``, else 0.01), as in ``SequenceDetectionMetric``.

Writes ``DIR/findings.json`` and, unless ``--no-gif``, ``DIR/<name>.gif`` per file: every frame with the
per-frame detections (thin, amber), the best track's box (bold, red, on the frames it covers) and a caption
with the frame index and the finding. A file that cannot be read (``DSAFormatError``, any decode error) is
reported on stderr and in ``errors`` and skipped. Exit code 0 if at least one file succeeded, else 1.

findings.json (boxes in DICOM pixels, ``[x, y, w, h]`` = top-left corner, width, height)::

    {
      "config": str,                  # the config path given
      "checkpoint": str,              # the checkpoint path given
      "score_thr": float,             # minimum best-track confidence of a finding
      "classes": [str, ...],          # class names; "class_name" is one of them
      "bbox_format": "xywh, DICOM pixels",
      "files": [                      # one per file read, in input order
        {
          "path": str,                # the file
          "view": "PA" | "LAT" | "UNKNOWN",
          "num_frames": int,
          "frame_rate": float | null, # frames per second from the DICOM frame times
          "occlusion": "yes" | "no",
          "bbox": [x, y, w, h] | null,  # the best track's confidence-weighted mean box; null when "no"
          "class_name": str | null,   # the best track's class; null when "no"
          "score": float,             # trajectory score: sum of confidences x frames; 0.0 when "no"
          "confidence": float | null, # mean detection confidence of the best track; null when "no"
          "frame_ids": [int, ...],    # frames (0-based) the best track covers; [] when "no"
          "num_tracks": int,          # tracks linked in the sequence (passing or not)
          "gif": str | null           # the GIF's file name in DIR; null with --no-gif
        }
      ],
      "errors": [{"path": str, "error": str}]   # files skipped, with the reason
    }
"""

from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import sys
from pathlib import Path

from mmengine.config import DictAction
from tqdm import tqdm

DICOM_MAGIC_OFFSET = 128
DICOM_MAGIC = b'DICM'
FILE_META_START = b'\x02\x00'  # group 0002 little endian: a preamble-less export occlunet.dicom reads
DEFAULT_FPS = 3.0
BBOX_FORMAT = 'xywh, DICOM pixels'


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Find occlusions in DSA DICOM files (see the module docstring for findings.json)'
    )
    parser.add_argument('config', help='model config (e.g. configs/occlunet1_dsa.py)')
    parser.add_argument('checkpoint', help='trained weights (.pth)')
    parser.add_argument(
        'paths', nargs='+', metavar='PATH', help='DICOM files or folders (searched recursively)'
    )
    parser.add_argument('--out-dir', required=True, help='where findings.json and the GIFs go')
    parser.add_argument('--score-thr', type=float, default=None, help='minimum best-track confidence')
    parser.add_argument('--device', default='cpu', help="torch device, e.g. 'cpu' or 'cuda:0'")
    parser.add_argument('--no-gif', action='store_true', help='write findings.json only')
    parser.add_argument('--gif-size', type=int, default=512, help='long side of the GIFs in pixels')
    parser.add_argument('--fps', type=float, default=None, help='GIF speed (default: the run frame rate)')
    parser.add_argument(
        '--no-stream',
        action='store_true',
        help='predict each sequence at once (tools/test.py path) instead of frame by frame',
    )
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings, key=value')
    args = parser.parse_args(argv)
    if args.score_thr is not None and not 0.0 <= args.score_thr <= 1.0:
        parser.error(f'--score-thr must be in [0, 1], got {args.score_thr}')
    if args.gif_size < 1:
        parser.error(f'--gif-size must be >= 1, got {args.gif_size}')
    return args


def looks_like_dicom(path: Path) -> bool:
    """An extension-less file that starts like a DICOM file (preamble + 'DICM', or File Meta at byte 0)."""
    try:
        with open(path, 'rb') as handle:
            head = handle.read(DICOM_MAGIC_OFFSET + len(DICOM_MAGIC))
    except OSError:
        return False
    return head[DICOM_MAGIC_OFFSET:] == DICOM_MAGIC or head[:2] == FILE_META_START


def find_dicoms(paths: list[str]) -> tuple[list[Path], list[dict]]:
    """The files to read (given files as they are; folders: ``*.dcm`` and extension-less DICOM files,
    recursively, sorted, hidden names skipped) and an error entry per path that does not exist."""
    files: list[Path] = []
    errors: list[dict] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for candidate in sorted(p for p in path.rglob('*') if p.is_file()):
                if any(part.startswith('.') for part in candidate.relative_to(path).parts):
                    continue
                suffix = candidate.suffix.lower()
                if suffix == '.dcm' or (suffix == '' and looks_like_dicom(candidate)):
                    files.append(candidate)
        elif path.exists():
            files.append(path)
        else:
            errors.append({'path': raw, 'error': 'no such file or directory'})
    unique = list(dict.fromkeys(files))  # a file named twice is read once
    return unique, errors


def gif_names(files: list[Path]) -> list[str]:
    """A distinct ``<stem>.gif`` per file (``<stem>_2.gif`` ... for repeated stems)."""
    names, seen = [], {}
    for path in files:
        stem = ''.join(c if c.isalnum() or c in '-_.' else '_' for c in path.stem) or 'sequence'
        seen[stem] = seen.get(stem, 0) + 1
        names.append(f'{stem}.gif' if seen[stem] == 1 else f'{stem}_{seen[stem]}.gif')
    return names


def xyxy_to_xywh(box: list[float]) -> list[float]:
    x1, y1, x2, y2 = (float(v) for v in box)
    return [x1, y1, x2 - x1, y2 - y1]


def finding(path: Path, result: dict, gif: str | None) -> dict:
    """The ``files`` entry of findings.json for one result of ``SequenceInferencer``."""
    best = result['best_track']
    return {
        'path': str(path),
        'view': result['view'],
        'num_frames': result['num_frames'],
        'frame_rate': result['frame_rate'],
        'occlusion': 'yes' if result['occlusion'] else 'no',
        'bbox': None if best is None else xyxy_to_xywh(best['bbox']),
        'class_name': None if best is None else best['label_name'],
        'score': 0.0 if best is None else float(best['score']),
        'confidence': None if best is None else float(best['confidence']),
        'frame_ids': [] if best is None else [int(f) for f in best['frames']],
        'num_tracks': len(result['tracks']),
        'gif': gif,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from occlunet.apis import SequenceInferencer
    from occlunet.visualization import draw_result, write_gif

    files, errors = find_dicoms(args.paths)
    for error in errors:
        print(f'infer: {error["path"]}: {error["error"]}', file=sys.stderr)
    if not files:
        print('infer: no DICOM files found', file=sys.stderr)
        return 1
    inferencer = SequenceInferencer(
        args.config,
        args.checkpoint,
        device=args.device,
        score_thr=args.score_thr,
        cfg_options=args.cfg_options,
    )
    os.makedirs(args.out_dir, exist_ok=True)
    predict = inferencer.predict if args.no_stream or not inferencer.can_stream else inferencer.predict_stream
    findings = []
    names = gif_names(files)
    with tqdm(total=len(files), desc='infer', unit='file', file=sys.stderr, dynamic_ncols=True) as bar:
        for path, name in zip(files, names):
            try:
                sequence = inferencer.load(path)
                result = predict(sequence)
                gif = None
                if not args.no_gif:
                    frames = draw_result(sequence.frames, result, size=args.gif_size)
                    fps = args.fps or result['frame_rate'] or DEFAULT_FPS
                    write_gif(frames, osp.join(args.out_dir, name), fps=fps)
                    gif = name
                findings.append(finding(path, result, gif))
                bar.set_postfix_str(f'{path.name}: occlusion {findings[-1]["occlusion"]}')
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as exc:  # DSAFormatError, OSError, any decode error: skip the file
                message = f'{type(exc).__name__}: {exc}'
                errors.append({'path': str(path), 'error': message})
                tqdm.write(f'infer: skipped {path}: {message}', file=sys.stderr)
            bar.update(1)

    document = {
        'config': args.config,
        'checkpoint': args.checkpoint,
        'score_thr': inferencer.score_thr,
        'classes': list(inferencer.classes),
        'bbox_format': BBOX_FORMAT,
        'files': findings,
        'errors': errors,
    }
    out = osp.join(args.out_dir, 'findings.json')
    with open(out, 'w') as handle:
        json.dump(document, handle, indent=2, allow_nan=False)
    positives = sum(f['occlusion'] == 'yes' for f in findings)
    print(
        f'infer: {len(findings)} file(s) read, {positives} with occlusion, {len(errors)} error(s); '
        f'findings in {out}'
    )
    return 0 if findings else 1


if __name__ == '__main__':
    sys.exit(main())
