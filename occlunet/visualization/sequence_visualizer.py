"""Whole DSA sequences with their predictions: animated-GIF frames and a MinIP panel.

Shared by ``tools/infer.py`` and the ``SequenceVisualizationHook`` of ``tools/test.py --show-dir``. Frames are
the DICOM's (T, H, W) in [0, 1] and every box is xyxy in DICOM pixels; the drawing is stretched for display
(the sequence's 0.5/99.5 percentiles), scaled so that its long side is ``size`` pixels and gets a caption
strip below. Colours (RGB) per role:

- per-frame detections: thin, :data:`DET_COLOR` (amber);
- the best track: bold, :data:`TRACK_COLOR` (red), on the frames it covers, with its class and confidence;
- ground truth: :data:`GT_COLOR` (green), on the frames where the occlusion is visible.

The ``*_result`` functions take the result dict of :class:`occlunet.apis.SequenceInferencer` (keys in
:mod:`occlunet.apis.sequence_result`); the others take plain arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .overlay import GT_COLOR, PRED_COLOR, draw_boxes, gray_to_rgb, to_uint8

DET_COLOR: tuple[int, int, int] = (255, 176, 0)  # amber: per-frame detections
TRACK_COLOR: tuple[int, int, int] = PRED_COLOR  # red: the best track
DET_THICKNESS = 1
TRACK_THICKNESS = 3
GT_THICKNESS = 2
DISPLAY_SIZE = 512  # long side of the drawing, pixels
DISPLAY_PERCENTILES = (0.5, 99.5)
MIN_RANGE = 1e-6
SEQUENCE_DIMS = 3
CAPTION_COLOR = (255, 255, 255)
CAPTION_FONT = cv2.FONT_HERSHEY_SIMPLEX
CAPTION_SCALE_PER_PIXEL = 1 / 1100  # 0.47 at 512 px
MIN_CAPTION_SCALE = 0.35
CAPTION_MARGIN = 4

Boxes = np.ndarray | Sequence[Sequence[float]]


def display_range(frames: np.ndarray) -> tuple[float, float]:
    """The sequence's display percentiles (low, high)."""
    low, high = np.percentile(np.asarray(frames, dtype=np.float32), DISPLAY_PERCENTILES)
    return low, high


def stretch(frames: np.ndarray, value_range: tuple[float, float] | None = None) -> np.ndarray:
    """Frames mapped to [0, 1] by the sequence's display percentiles (a constant sequence gives zeros);
    ``value_range``: those percentiles when already known (e.g. stretching a sequence frame by frame)."""
    frames = np.asarray(frames, dtype=np.float32)
    low, high = display_range(frames) if value_range is None else value_range
    if high - low < MIN_RANGE:
        return np.zeros_like(frames)
    return np.clip((frames - low) / (high - low), 0.0, 1.0)


def display_scale(height: int, width: int, size: int | None) -> float:
    """Factor from DICOM pixels to the drawing (1 when ``size`` is None)."""
    return 1.0 if size is None else size / max(height, width)


def display_frames(frames: np.ndarray, size: int | None = DISPLAY_SIZE) -> tuple[np.ndarray, float]:
    """Stretched, resized uint8 RGB frames and the scale from DICOM pixels to them.

    Shape:
        frames: (T, H, W) -> (T, H', W', 3) uint8 with max(H', W') = size
    """
    frames = np.asarray(frames, dtype=np.float32)
    if frames.ndim != SEQUENCE_DIMS or len(frames) == 0:
        raise ValueError(f'display_frames: expected (T, H, W) frames with T >= 1, got shape {frames.shape}')
    height, width = frames.shape[1:]
    scale = display_scale(height, width, size)
    value_range = display_range(frames)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    grey = []
    for frame in frames:  # frame by frame: float temporaries of one frame, not of the sequence
        image = to_uint8(stretch(frame, value_range))
        grey.append(image if scale == 1.0 else cv2.resize(image, new_size, interpolation=interpolation))
    return gray_to_rgb(np.stack(grey)), scale


def caption_scale(width: int) -> float:
    return max(MIN_CAPTION_SCALE, width * CAPTION_SCALE_PER_PIXEL)


def caption_height(num_lines: int, width: int) -> int:
    """Pixel height of a caption strip of ``num_lines`` lines under an image ``width`` pixels wide."""
    if num_lines == 0:
        return 0
    (_, text_h), baseline = cv2.getTextSize('Ag', CAPTION_FONT, caption_scale(width), 1)
    return num_lines * (text_h + baseline + CAPTION_MARGIN) + CAPTION_MARGIN


def add_caption(img: np.ndarray, lines: Sequence[str], num_lines: int | None = None) -> np.ndarray:
    """``img`` with a black strip of ``num_lines`` (default ``len(lines)``) text lines below it.

    Shape:
        img: (H, W, 3) uint8 -> (H + caption_height(num_lines, W), W, 3)
    """
    num_lines = len(lines) if num_lines is None else num_lines
    width = img.shape[1]
    strip = np.zeros((caption_height(num_lines, width), width, 3), np.uint8)
    font_scale = caption_scale(width)
    (_, text_h), baseline = cv2.getTextSize('Ag', CAPTION_FONT, font_scale, 1)
    for i, line in enumerate(lines[:num_lines]):
        y = CAPTION_MARGIN + i * (text_h + baseline + CAPTION_MARGIN) + text_h
        cv2.putText(strip, line, (CAPTION_MARGIN, y), CAPTION_FONT, font_scale, CAPTION_COLOR, 1, cv2.LINE_AA)
    return np.concatenate([img, strip], axis=0)


def _boxes(boxes: Boxes | None, scale: float) -> np.ndarray:
    if boxes is None:
        return np.zeros((0, 4))
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 4) * scale


def draw_sequence(
    frames: np.ndarray,
    *,
    detections: Sequence[Boxes] | None = None,
    track_box: Sequence[float] | None = None,
    track_frames: Sequence[int] | None = None,
    track_text: str | None = None,
    gt_boxes: Boxes | None = None,
    gt_frames: Sequence[tuple[int, int] | None] | None = None,
    gt_texts: Sequence[str] | None = None,
    captions: Sequence[Sequence[str]] | None = None,
    size: int | None = DISPLAY_SIZE,
) -> np.ndarray:
    """GIF frames of one sequence with its detections, best track and GT.

    Args:
        frames: the DICOM frames in [0, 1].
        detections: per frame, that frame's boxes (drawn thin in :data:`DET_COLOR`); None: none.
        track_box: the best track's box (drawn bold in :data:`TRACK_COLOR`); None: no track.
        track_frames: the frames the track box is drawn on (None: every frame).
        track_text: label written above the track box.
        gt_boxes: GT boxes (drawn in :data:`GT_COLOR`).
        gt_frames: per GT box its inclusive (first, last) visible frame, or None for every frame.
        gt_texts: per GT box a label.
        captions: per frame a list of caption lines (all frames get the same strip height).
        size: long side of the drawing in pixels (None: DICOM resolution).

    Shape:
        frames: (T, H, W), boxes (N, 4) xyxy DICOM pixels -> (T, H' + caption, W', 3) uint8
    """
    rgb, scale = display_frames(frames, size)
    num = len(rgb)
    if detections is not None and len(detections) != num:
        raise ValueError(f'draw_sequence: {len(detections)} detection lists for {num} frames')
    if captions is not None and len(captions) != num:
        raise ValueError(f'draw_sequence: {len(captions)} captions for {num} frames')
    gt = _boxes(gt_boxes, scale)
    spans = list(gt_frames) if gt_frames is not None else [None] * len(gt)
    texts = list(gt_texts) if gt_texts is not None else [''] * len(gt)
    if len(spans) != len(gt) or len(texts) != len(gt):
        raise ValueError(f'draw_sequence: gt_frames/gt_texts must have one entry per GT box ({len(gt)})')
    on_track = set(range(num)) if track_frames is None else {int(t) for t in track_frames}
    num_lines = max((len(c) for c in captions), default=0) if captions is not None else 0
    out = []
    for t, img in enumerate(rgb):
        if detections is not None:
            img = draw_boxes(img, _boxes(detections[t], scale), color=DET_COLOR, thickness=DET_THICKNESS)
        visible = [i for i, span in enumerate(spans) if span is None or span[0] <= t <= span[1]]
        if visible:
            img = draw_boxes(img, gt[visible], [texts[i] for i in visible], GT_COLOR, GT_THICKNESS)
        if track_box is not None and t in on_track:
            box = _boxes([track_box], scale)
            img = draw_boxes(img, box, [track_text or ''], TRACK_COLOR, TRACK_THICKNESS)
        if captions is not None:
            img = add_caption(img, captions[t], num_lines)
        out.append(img)
    return np.stack(out)


def draw_minip(
    frames: np.ndarray,
    *,
    track_box: Sequence[float] | None = None,
    track_text: str | None = None,
    gt_boxes: Boxes | None = None,
    gt_texts: Sequence[str] | None = None,
    caption: Sequence[str] | None = None,
    size: int | None = DISPLAY_SIZE,
) -> np.ndarray:
    """The sequence's minimum-intensity projection with the best track and every GT box.

    Shape:
        frames: (T, H, W) -> (H' + caption, W', 3) uint8
    """
    frames = np.asarray(frames, dtype=np.float32)
    minip = frames.min(axis=0, keepdims=True)  # (1, H, W)
    return draw_sequence(
        minip,
        track_box=track_box,
        track_text=track_text,
        gt_boxes=gt_boxes,
        gt_texts=gt_texts,
        captions=None if caption is None else [list(caption)],
        size=size,
    )[0]


# -- the result dict of SequenceInferencer / sequence_result --------------------------------------------
def finding_text(result: dict) -> str:
    """``'occlusion: yes (occlusion, conf 0.42, score 12.6)'`` or ``'occlusion: no'``."""
    best = result.get('best_track')
    if not result.get('occlusion') or best is None:
        return 'occlusion: no'
    return (
        f'occlusion: yes ({best.get("label_name", best["label"])}, conf {best["confidence"]:.3g}, '
        f'score {best["score"]:.3g})'
    )


def track_label(result: dict) -> str | None:
    best = result.get('best_track')
    if best is None:
        return None
    return f'{best.get("label_name", best["label"])} {best["confidence"]:.3g}'


def draw_result(
    frames: np.ndarray,
    result: dict,
    *,
    gt_boxes: Boxes | None = None,
    gt_frames: Sequence[tuple[int, int] | None] | None = None,
    gt_texts: Sequence[str] | None = None,
    extra_caption: str | None = None,
    size: int | None = DISPLAY_SIZE,
) -> np.ndarray:
    """GIF frames of an inference result: per-frame detections, the best track, optional GT; each frame's
    caption gives the frame index and the finding (and ``extra_caption`` as a third line).

    Shape:
        frames: (T, H, W) in [0, 1] -> (T, H', W', 3) uint8
    """
    num = len(frames)
    best = result.get('best_track')
    view = result.get('view')
    view = f'  {view}' if view and view != 'UNKNOWN' else ''
    finding = finding_text(result)
    captions = []
    for t in range(num):
        lines = [f'frame {t + 1}/{num}{view}', finding]
        if extra_caption:
            lines.append(extra_caption)
        captions.append(lines)
    detections = [d['bboxes'] for d in result['detections']] if result.get('detections') else None
    return draw_sequence(
        frames,
        detections=detections,
        track_box=None if best is None else best['bbox'],
        track_frames=None if best is None else best.get('frames', best['frame_ids']),
        track_text=track_label(result),
        gt_boxes=gt_boxes,
        gt_frames=gt_frames,
        gt_texts=gt_texts,
        captions=captions,
        size=size,
    )


def draw_result_minip(
    frames: np.ndarray,
    result: dict,
    *,
    gt_boxes: Boxes | None = None,
    gt_texts: Sequence[str] | None = None,
    extra_caption: str | None = None,
    size: int | None = DISPLAY_SIZE,
) -> np.ndarray:
    """The MinIP with the best track of an inference result and optional GT boxes.

    Shape:
        frames: (T, H, W) in [0, 1] -> (H', W', 3) uint8
    """
    best = result.get('best_track')
    caption = ['MinIP', finding_text(result)] + ([extra_caption] if extra_caption else [])
    return draw_minip(
        frames,
        track_box=None if best is None else best['bbox'],
        track_text=track_label(result),
        gt_boxes=gt_boxes,
        gt_texts=gt_texts,
        caption=caption,
        size=size,
    )
