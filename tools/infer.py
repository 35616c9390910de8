"""Find occlusions in DSA DICOM files with a trained model: no annotations needed.

python tools/infer.py CONFIG CHECKPOINT PATH [PATH ...] --out-dir DIR [--score-thr T] [--device cpu]
    [--no-gif] [--gif-size 512] [--fps F] [--no-stream] [--resume] [--cfg-options key=value ...]

PATH: DICOM files, or folders searched recursively for ``*.dcm`` files (any case) and for extension-less
files that carry the DICOM preamble (``DICM`` at byte 128, or File Meta Information at byte 0). Every file
is one whole DSA run; the config's test pipeline prepares it and the model predicts per-frame detections
and links them into tracks (``occlunet.apis.SequenceInferencer``). OccluNet configs run frame by frame:
decode, compute the sequence's intensity range as the test pipeline does, then ``push`` each frame (only
the last frames' network inputs and features are held; the result equals the whole-sequence prediction).
``--no-stream`` and the MinIP baseline predict on the whole sequence at once. A sequence has a finding when
its best track's confidence (mean detection confidence) is ``>= score_thr`` (``--score-thr``, default: the
config's ``test_evaluator.score_thr``, else 0.01), as in ``SequenceDetectionMetric``.

Model outputs are checked: every box is clipped to the image (the findings keep the clipped box; tracks are
linked on the model's own box centres), and NaN or inf scores or boxes (a diverged checkpoint) make that
file an error ("model produced non-finite boxes at frame 3 -- is the checkpoint diverged or untrained?") in
``errors``.

Writes ``DIR/findings.json`` and, unless ``--no-gif``, ``DIR/<name>.gif`` per file: every frame with the
per-frame detections (thin, amber), the best track's box (bold, red, on the frames it covers) and a caption
with the frame index and the finding. A file that cannot be read (``DSAFormatError``, any decode error) or
predicted is reported on stderr and in ``errors`` and skipped. A finding is recorded before its GIF is
drawn: a GIF that cannot be drawn or written leaves the finding, with ``gif`` null and the failure in the
entry's ``export_errors``, and the other files go on.

findings.json is rewritten atomically (temporary file + rename) as each file finishes, so Ctrl-C, a kill or
a crash leaves a valid file with every run finished so far (``"complete": false``); a run killed while its
GIF was drawn keeps its finding, with the GIF listed in ``export_errors``. ``--resume`` continues in the same
DIR: files already in its findings.json are skipped (their entries and errors are kept; a file whose entry
has ``export_errors``, e.g. a GIF not written, is run again; run without --resume to retry errors); the
previous file must come from the same config (after --cfg-options), checkpoint (SHA-256) and score
threshold, otherwise the tool refuses (exit 2) and changes nothing.

Exit code: 0 when at least one file has a finding and every GIF was written; 3 when findings were written
but some GIF is missing (see ``export_errors``); 1 when no file could be read; 2 for a usage error or a
refused --resume; 130 after Ctrl-C (findings.json keeps the finished runs).

findings.json (boxes in DICOM pixels, ``[x, y, w, h]`` = top-left corner, width, height, within the image)::

    {
      "config": str,                  # the config path given
      "checkpoint": str,              # the checkpoint path given
      "config_sha256": str,           # the config's settings after --cfg-options (compared by --resume)
      "checkpoint_sha256": str,       # the checkpoint file (compared by --resume)
      "score_thr": float,             # minimum best-track confidence of a finding
      "classes": [str, ...],          # class names; "class_name" is one of them
      "bbox_format": "xywh, DICOM pixels",
      "complete": bool,               # false while running, or when the run was interrupted
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
          "gif": str | null,          # the GIF's file name in DIR; null with --no-gif or when it failed
          "export_errors": [{"what": "gif", "error": str}]  # side outputs that failed; [] when none
        }
      ],
      "errors": [{"path": str, "error": str}]   # files skipped, with the reason
    }
"""

from __future__ import annotations

import argparse
import os
import os.path as osp
import signal
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from mmengine.config import DictAction
from tqdm import tqdm

DICOM_MAGIC_OFFSET = 128
DICOM_MAGIC = b'DICM'
FILE_META_START = b'\x02\x00'  # group 0002 little endian: a preamble-less export occlunet.dicom reads
DEFAULT_FPS = 3.0
EXIT_OK, EXIT_NOTHING_READ, EXIT_REFUSED, EXIT_OUTPUT_MISSING, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
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
    parser.add_argument(
        '--resume',
        action='store_true',
        help='skip the files already done in DIR/findings.json (same config, checkpoint and threshold)',
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


def terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the run like Ctrl-C's clean-up: findings.json is saved on the way out."""
    raise SystemExit(128 + signum)


def gif_outputs(args: argparse.Namespace, names: dict[Path, str]) -> Callable | None:
    """(path, sequence, result) -> the ``'gif'`` side output of that run for ``record_run``; None with
    --no-gif. ``names``: the GIF name of each file."""
    if args.no_gif:
        return None
    from occlunet.visualization import draw_result, write_gif

    def steps(path: Path, sequence: Any, result: dict) -> dict:
        name = names[path]

        def gif() -> str:
            frames = draw_result(sequence.frames, result, size=args.gif_size)
            write_gif(
                frames, osp.join(args.out_dir, name), fps=args.fps or result['frame_rate'] or DEFAULT_FPS
            )
            return name

        return {'gif': gif}

    return steps


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from occlunet.apis import (
        FindingsFile,
        ResumeError,
        SequenceInferencer,
        config_sha256,
        file_sha256,
        findings_header,
        record_run,
    )

    files, missing = find_dicoms(args.paths)
    for error in missing:
        print(f'infer: {error["path"]}: {error["error"]}', file=sys.stderr)
    if not files:
        print('infer: no DICOM files found', file=sys.stderr)
        return EXIT_NOTHING_READ
    inferencer = SequenceInferencer(
        args.config,
        args.checkpoint,
        device=args.device,
        score_thr=args.score_thr,
        cfg_options=args.cfg_options,
    )
    header = findings_header(
        args.config,
        args.checkpoint,
        config_sha256(inferencer.cfg),
        file_sha256(args.checkpoint),
        inferencer.score_thr,
        inferencer.classes,
    )
    os.makedirs(args.out_dir, exist_ok=True)
    out = osp.join(args.out_dir, 'findings.json')
    if osp.exists(out) and not args.resume:
        print(f'infer: replacing {out} (add --resume to continue it instead)', file=sys.stderr)
    try:
        findings = (FindingsFile.resume if args.resume else FindingsFile)(out, header, files)
    except ResumeError as exc:
        print(f'infer: --resume refused: {exc}', file=sys.stderr)
        return EXIT_REFUSED
    todo = [(path, name) for path, name in zip(files, gif_names(files)) if not findings.is_done(path)]
    if args.resume:
        print(
            f'infer: resuming: {len(files) - len(todo)} of {len(files)} file(s) already done in {out}',
            file=sys.stderr,
        )
    for error in missing:
        findings.add_error(error['path'], error['error'])
    run = inferencer.predict if args.no_stream or not inferencer.can_stream else inferencer.predict_stream

    def predict(path: Path) -> tuple[Any, dict]:
        sequence = inferencer.load(path)
        return sequence, run(sequence)

    side_outputs = gif_outputs(args, dict(todo))
    log = partial(tqdm.write, file=sys.stderr)
    on_sigterm = signal.signal(signal.SIGTERM, terminate)
    try:
        with tqdm(total=len(todo), desc='infer', unit='file', file=sys.stderr, dynamic_ncols=True) as bar:
            for path, _ in todo:
                entry = record_run(findings, path, predict, side_outputs, log)
                if entry is not None:
                    bar.set_postfix_str(f'{path.name}: occlusion {entry["occlusion"]}')
                bar.update(1)
        findings.finish()
    except KeyboardInterrupt:
        print(
            f'\ninfer: interrupted; {len(findings)} finished run(s) in {out}: add --resume to go on',
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, on_sigterm)
        if not findings.complete:
            findings.save(force=True)
    return summary(findings.document(), out, resumed=len(files) - len(todo))


def summary(document: dict, out: str, resumed: int = 0) -> int:
    """Print the summary line of a finished run; its exit code."""
    entries = document['files']
    positives = sum(f['occlusion'] == 'yes' for f in entries)
    missing = [e['what'] for f in entries for e in f['export_errors']]
    note = f'{len(missing)} missing output(s) ({", ".join(sorted(set(missing)))}), ' if missing else ''
    note += f'{resumed} resumed, ' if resumed else ''
    print(
        f'infer: {len(entries)} file(s) read, {positives} with occlusion, '
        f'{len(document["errors"])} error(s), {note}findings in {out}'
    )
    if not entries:
        return EXIT_NOTHING_READ
    return EXIT_OUTPUT_MISSING if missing else EXIT_OK


if __name__ == '__main__':
    sys.exit(main())
