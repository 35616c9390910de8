"""Look at a DSA data set: animated GIFs with the GT boxes, and MinIP PNGs.

# raw data: one GIF per sequence (box + class drawn on the frames where the occlusion is visible)
# and its MinIP as PNG with every box
python tools/browse_dataset.py DATA_ROOT ANN --out-dir DIR [--max-videos N] [--scale 512] [--fps 3]

# what a config's training pipeline produces (after augmentation): one GIF + PNG per sample
python tools/browse_dataset.py CONFIG.py --out-dir DIR [--split train|val|test] [--max-videos N]
"""

from __future__ import annotations

import argparse
import os.path as osp
import sys

import numpy as np

from occlunet.datasets import load_dsa_annotations, load_dsa_categories
from occlunet.datasets.transforms import resize_planes
from occlunet.visualization import GT_COLOR, draw_boxes, gray_to_rgb, to_uint8, write_gif, write_png

TEXT_POSITION = (4, 14)
TEXT_SCALE = 0.4
TEXT_COLOR = (255, 255, 255)
MIN_RANGE = 1e-6  # below: a constant image, shown black
DISPLAY_PERCENTILES = (0.5, 99.5)  # grey levels stretched for display, as NormalizeIntensity does
DEFAULT_FPS = 3.0  # DSA frame rate in Mittmann et al.


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Write GIFs/PNGs of DSA sequences with their GT boxes')
    parser.add_argument('source', help='data root (then ANN is needed) or an mmengine config (.py)')
    parser.add_argument('ann_file', nargs='?', help='annotation JSON (path or relative to the data root)')
    parser.add_argument('--out-dir', required=True, help='output directory')
    parser.add_argument('--max-videos', type=int, default=None, help='at most this many sequences/samples')
    parser.add_argument('--scale', type=int, default=None, help='resize frames to SCALE x SCALE (raw mode)')
    parser.add_argument('--fps', type=float, default=None, help='GIF speed (default: the video frame rate)')
    parser.add_argument('--split', default='train', choices=['train', 'val', 'test'], help='config mode')
    args = parser.parse_args(argv)
    if not args.source.endswith('.py') and args.ann_file is None:
        parser.error('ANN is required when SOURCE is a data root')
    return args


def frame_label(text: str, img: np.ndarray) -> np.ndarray:
    """``img`` with a small white text in the top-left corner."""
    import cv2

    out = img.copy()
    cv2.putText(out, text, TEXT_POSITION, cv2.FONT_HERSHEY_SIMPLEX, TEXT_SCALE, TEXT_COLOR, 1, cv2.LINE_AA)
    return out


def stretch(frames: np.ndarray) -> np.ndarray:
    """Frames mapped to [0, 1] by the sequence's display percentiles."""
    low, high = np.percentile(frames, DISPLAY_PERCENTILES)
    return np.clip((frames - low) / max(float(high - low), MIN_RANGE), 0.0, 1.0)


def render_sequence(
    frames: np.ndarray, boxes: np.ndarray, texts: list[str], starts: list[int], ends: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """GIF frames (box drawn where visible) and the MinIP with every box.

    Shape:
        frames: (n, H, W) in [0, 1], boxes: (N, 4) -> ((n, H, W, 3) uint8, (H, W, 3) uint8)
    """
    rgb = gray_to_rgb(to_uint8(frames))  # (n, H, W, 3)
    out = []
    for t, img in enumerate(rgb):
        visible = [i for i in range(len(boxes)) if starts[i] <= t <= ends[i]]
        img = draw_boxes(img, boxes[visible], [texts[i] for i in visible], GT_COLOR)
        out.append(frame_label(f'{t + 1}/{len(rgb)}', img))
    minip = draw_boxes(gray_to_rgb(to_uint8(frames.min(axis=0))), boxes, texts, GT_COLOR)
    return np.stack(out), minip


def browse_raw(args: argparse.Namespace) -> int:
    """One GIF and one MinIP PNG per video of an annotation file."""
    from occlunet.dicom import load_dsa

    ann = args.ann_file if osp.exists(args.ann_file) else osp.join(args.source, args.ann_file)
    names = {c['id']: c['name'] for c in load_dsa_categories(ann)}
    videos = load_dsa_annotations(ann, args.source, check_headers=False)[: args.max_videos]
    for video in videos:
        frames = stretch(load_dsa(video['img_path']).frames)
        anns = video['annotations']
        boxes = np.asarray([a['bbox'] for a in anns], dtype=np.float32).reshape(-1, 4)
        if args.scale:
            height, width = frames.shape[1:]
            frames = resize_planes(frames, args.scale, args.scale)
            boxes = boxes * np.asarray([args.scale / width, args.scale / height] * 2, dtype=np.float32)
        gif, minip = render_sequence(
            frames,
            boxes,
            [names[a['category_id']] for a in anns],
            [a['frame_start'] for a in anns],
            [a['frame_end'] for a in anns],
        )
        stem = osp.join(args.out_dir, osp.splitext(video['file_name'].replace('/', '_'))[0])
        write_gif(gif, f'{stem}.gif', fps=args.fps or video['frame_rate'] or DEFAULT_FPS)
        write_png(minip, f'{stem}_minip.png')
        print(f'{stem}.gif  {len(frames)} frames, {len(anns)} box(es)')
    return len(videos)


def browse_config(args: argparse.Namespace) -> int:
    """One GIF (centre channel of every input frame) and one PNG (target frame) per pipeline sample."""
    from mmdet.registry import DATASETS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import occlunet  # noqa: F401  (registers the dataset and transforms)

    cfg = Config.fromfile(args.source)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    dataset = DATASETS.build(cfg[f'{args.split}_dataloader']['dataset'])
    classes = dataset.metainfo['classes']
    count = len(dataset) if args.max_videos is None else min(args.max_videos, len(dataset))
    for idx in range(count):
        packed = dataset[idx]
        inputs, sample = packed['inputs'].numpy(), packed['data_samples']
        frames = inputs[:, inputs.shape[1] // 2]  # (T, H, W) centre channel
        frames = stretch(frames)
        gt = sample.gt_instances
        boxes = gt.bboxes.numpy()
        texts = [classes[int(i)] for i in gt.labels]
        frame_ids = sample.metainfo['frame_ids']
        if sample.metainfo['frame_id'] is not None:  # window: the boxes are the target frame's
            starts = ends = [len(frames) // 2] * len(boxes)
        elif len(frames) != len(frame_ids):  # MinIP / chunks: the sequence's boxes on every image
            starts, ends = [0] * len(boxes), [len(frames) - 1] * len(boxes)
        else:
            starts, ends = gt.frame_start.tolist(), gt.frame_end.tolist()
        gif, _ = render_sequence(frames, boxes, texts, starts, ends)
        stem = osp.join(args.out_dir, f'{args.split}_{idx:05d}_video{sample.metainfo["video_id"]}')
        write_gif(gif, f'{stem}.gif', fps=args.fps or DEFAULT_FPS)
        write_png(gif[len(gif) // 2], f'{stem}.png')
        print(f'{stem}.gif  inputs {tuple(inputs.shape)}, target frame {sample.metainfo["frame_id"]}')
    return count


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    written = browse_config(args) if args.source.endswith('.py') else browse_raw(args)
    print(f'{written} sequence(s) written to {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
