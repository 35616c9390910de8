"""DSA sequences with occlusion boxes, as frame windows (OccluNet) or whole sequences (Mittmann et al.)."""

from __future__ import annotations

from collections.abc import Sequence

from mmdet.registry import DATASETS
from mmengine.dataset import BaseDataset
from mmengine.registry import DefaultScope

from ..structures import resolve_target_index, window_frame_indices
from .annotations import DSA_CATEGORIES, SINGLE_CLASS, load_dsa_annotations, load_dsa_categories
from .sequence_cache import DEFAULT_CACHE_BYTES, SequenceCache

LABEL_MODES = ('boxes', 'sequence')


def window_frame_ids(target: int, window: int, num_frames: int, target_index: int | None = None) -> list[int]:
    """The ``window`` frame indices around ``target``, replicate-padded at the sequence ends.

    :func:`~occlunet.structures.window_frame_indices` of one target: ``target`` sits at position
    ``target_index`` (None: the centre ``window // 2``; for even windows one more past frame than future
    frame). E.g. window 3, centre: target 0 -> [0, 0, 1], target n-1 -> [n-2, n-1, n-1]; causal
    (``target_index=-1``): target 1 -> [0, 0, 1].
    """
    position = resolve_target_index(window, target_index, 'window_frame_ids')
    return window_frame_indices(num_frames, window, position, [target])[0].tolist()


def clip_target_starts(num_frames: int, clip_length: int) -> list[int]:
    """First target frame of each training clip of ``clip_length`` consecutive targets.

    Clips tile the sequence ``0, K, 2K, ...``; the last one is moved back to end on the last frame (it then
    overlaps its predecessor, whose shared targets are seen twice per epoch). A sequence shorter than
    ``clip_length`` gives one clip of all its frames.
    """
    last = max(num_frames - clip_length, 0)
    return sorted({min(start, last) for start in range(0, num_frames, clip_length)})


def clip_frame_ids(
    start: int, num_targets: int, window: int, num_frames: int, target_index: int | None = None
) -> list[int]:
    """Frames of a clip of ``num_targets`` consecutive targets from ``start``, with their window context.

    ``num_targets + window - 1`` indices, replicate-padded at the sequence ends, such that target ``j``'s
    window (:func:`window_frame_ids` of ``start + j`` with the same ``target_index``) is positions
    ``j .. j + window - 1``: the frame window of that length around ``start``, with the target at
    ``target_index``.
    """
    position = resolve_target_index(window, target_index, 'clip_frame_ids')
    return window_frame_indices(num_frames, num_targets + window - 1, position, [start])[0].tolist()


@DATASETS.register_module()
class DSAVideoDataset(BaseDataset):
    """DSA sequences and their occlusion annotations (format: ``docs/data_format.md``).

    Samples:
        - window mode (training, ``label_mode='boxes'``, ``num_frames=T``): one sample per (video, target
          frame ``t``) for ``t in range(0, n, stride)``; the window is the T frames around ``t`` with ``t``
          at position ``target_index`` (:func:`~occlunet.structures.window_frame_indices`, replicate
          padding; the centre by default), so with ``stride=1`` every frame, the first and
          last included, is a target once per epoch and keeps its own label. ``stride=s > 1`` keeps every
          s-th frame as a target (an epoch ``s`` times shorter); the other frames are only context.
        - clip mode (training, ``clip_length=K > 1``, ``stride=1``): one sample per K consecutive target
          frames (:func:`clip_target_starts`): ``target_frame_ids`` lists them and ``frame_ids`` holds
          their frames with window context (:func:`clip_frame_ids`, K + T - 1 frames), so target ``j``'s
          window is positions ``j .. j + T - 1``. The detector computes each frame's features once and
          the loss of all K windows: the same windows and targets as window mode, at about
          ``(K + T - 1) / (K T)`` of the backbone cost. ``frame_id`` is None.
        - whole-sequence mode (``test_mode=True``, ``num_frames=None`` or ``label_mode='sequence'``): one
          sample per video with ``frame_id=None`` and ``frame_ids = [0 .. n-1]``. The streaming detector
          slides its own window at test time; the classifier sees whole sequences.

    Each ``data_info`` has ``video_id``, ``img_path`` (absolute), ``file_name``, ``study_id``,
    ``patient_id``, ``view``, ``width``, ``height``, ``num_frames`` (sequence length n), ``frame_id``
    (target frame, None for whole sequences), ``frame_ids``, ``ori_shape`` (H, W), ``instances`` (every
    annotation of the video: ``bbox`` xyxy in DICOM pixels, ``bbox_label``, ``frame_start``,
    ``frame_end``, ``category_id``, ``ignore_flag`` = 0; ``PackDSAInputs`` keeps the target frame's),
    ``sequence_label`` (1 if any annotation), ``frame_rate``, ``acquired``, ``label_mode``.

    Decoded, resized (and normalised) whole sequences are cached per process (:class:`SequenceCache`,
    LRU bounded by ``cache_bytes``), so the windows of a video decode its DICOM once: the dataset hands
    its cache to the pipeline transforms that have ``attach_cache``, and only the last of
    ``LoadDSASequence -> ResizeSequence -> NormalizeIntensity`` keeps its sequence (one copy per video,
    at network size). Windows gather their frames from it without copying the sequence.

    Args:
        ann_file: annotation JSON (relative to ``data_root`` unless absolute).
        data_root: directory the videos' ``file_name`` are relative to.
        pipeline: transforms.
        test_mode: whole sequences, no filtering.
        num_frames: window length T; None: whole sequences.
        target_index: the target frame's position in each training window: None for the centre ``T // 2``,
            else an index in ``[-T, T)`` (-1: causal, the newest frame). It must equal the model's
            (``model.temporal_neck``'s temporal_cfg ``target_index``), which ``FrameWindowCheckHook``
            checks when training starts. Needs ``num_frames``.
        stride: step between training target frames.
        clip_length: target frames per training sample (clip mode when > 1; needs ``stride=1``).
        views: keep only these ``view`` values (None: all).
        label_mode: ``'boxes'`` (per-frame boxes, detector) or ``'sequence'`` (sequence label 0/1,
            classifier; always whole sequences).
        single_class: map every category to class 0 ``'occlusion'``; otherwise labels 0..K-1 follow the
            order of the file's ``categories`` and ``metainfo['classes']`` are their names.
        check_headers: compare every DICOM header (frames, rows, columns) with the JSON when loading.
        filter_empty: in training, drop samples without a box: windows whose target frame shows no
            occlusion (window mode) or videos without annotation (whole-sequence mode).
        cache_bytes: per-process cache budget in bytes (0 disables the cache).
        **kwargs: passed to ``mmengine.dataset.BaseDataset`` (``metainfo``, ``indices``, ``lazy_init``,
            ``serialize_data``, ``max_refetch``).
    """

    METAINFO: dict = {'classes': DSA_CATEGORIES}

    def __init__(
        self,
        ann_file: str,
        data_root: str = '',
        pipeline: Sequence = (),
        test_mode: bool = False,
        num_frames: int | None = 3,
        target_index: int | None = None,
        stride: int = 1,
        clip_length: int = 1,
        views: Sequence[str] | None = ('PA', 'LAT'),
        label_mode: str = 'boxes',
        single_class: bool = False,
        check_headers: bool = True,
        filter_empty: bool = False,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        **kwargs,
    ) -> None:
        if num_frames is not None and (not isinstance(num_frames, int) or num_frames < 1):
            raise ValueError(
                f'DSAVideoDataset: num_frames must be a positive integer or None, got {num_frames!r}'
            )
        if num_frames is None and target_index is not None:
            raise ValueError(
                f'DSAVideoDataset: target_index={target_index} needs a window length (num_frames), got '
                'num_frames=None (whole sequences)'
            )
        if not isinstance(stride, int) or stride < 1:
            raise ValueError(f'DSAVideoDataset: stride must be a positive integer, got {stride!r}')
        if not isinstance(clip_length, int) or clip_length < 1:
            raise ValueError(f'DSAVideoDataset: clip_length must be a positive integer, got {clip_length!r}')
        if clip_length > 1 and stride != 1:
            raise ValueError(
                f'DSAVideoDataset: clip_length={clip_length} needs stride=1, got stride={stride}'
            )
        if label_mode not in LABEL_MODES:
            raise ValueError(f'DSAVideoDataset: label_mode must be one of {LABEL_MODES}, got {label_mode!r}')
        self.num_frames = num_frames
        # position of the target frame in each window (None for whole sequences)
        self.target_index = (
            None if num_frames is None else resolve_target_index(num_frames, target_index, 'DSAVideoDataset')
        )
        self.stride = stride
        self.clip_length = clip_length
        self.views = None if views is None else tuple(views)
        self.label_mode = label_mode
        self.single_class = single_class
        self.check_headers = check_headers
        self.filter_empty = filter_empty
        self.cache = SequenceCache(cache_bytes)
        self._video_infos: list[dict] = []
        # Outside a runner (scripts, tests) no default scope is set and mmengine would look the pipeline up
        # in its root registry; our transforms live in mmdet's, which also reaches mmcv's and mmengine's.
        scope = 'mmdet' if DefaultScope.get_current_instance() is None else None
        with DefaultScope.overwrite_default_scope(scope):
            super().__init__(
                ann_file=ann_file, data_root=data_root, pipeline=list(pipeline), test_mode=test_mode, **kwargs
            )
        self._attach_cache()

    def _attach_cache(self) -> None:
        """Give the cache to the pipeline's cache users; within a run of consecutive whole-sequence cache
        users (before any transform that makes the sample image) only the last one keeps its sequence."""
        transforms = self.pipeline.transforms
        sample_image = False
        for i, transform in enumerate(transforms):
            if hasattr(transform, 'attach_cache'):
                following = transforms[i + 1] if i + 1 < len(transforms) else None
                feeds_cache_user = hasattr(following, 'attach_cache') and not sample_image
                transform.attach_cache(self.cache, keep_frames=not feeds_cache_user)
            sample_image = sample_image or getattr(transform, 'makes_sample_image', False)

    @property
    def window_mode(self) -> bool:
        """True when samples are frame windows (training detector), False for whole sequences."""
        return not self.test_mode and self.num_frames is not None and self.label_mode == 'boxes'

    def load_data_list(self) -> list[dict]:
        """Validate the annotation file and expand the videos into samples."""
        categories = load_dsa_categories(self.ann_file)
        if self.single_class:
            self._metainfo['classes'] = SINGLE_CLASS
        else:
            self._metainfo['classes'] = tuple(c['name'] for c in categories)
        videos = load_dsa_annotations(self.ann_file, self.data_root, check_headers=self.check_headers)
        if self.views is not None:
            videos = [v for v in videos if v['view'] in self.views]
        self._video_infos = [self._video_info(v) for v in videos]
        data_list = []
        for info in self._video_infos:
            data_list.extend(self._samples(info))
        return data_list

    def _video_info(self, video: dict) -> dict:
        instances = [
            {
                'bbox': list(ann['bbox']),
                'bbox_label': 0 if self.single_class else ann['category_index'],
                'frame_start': ann['frame_start'],
                'frame_end': ann['frame_end'],
                'category_id': ann['category_id'],
                'ignore_flag': 0,
            }
            for ann in video['annotations']
        ]
        return {
            'video_id': video['video_id'],
            'img_path': video['img_path'],
            'file_name': video['file_name'],
            'study_id': video['study_id'],
            'patient_id': video['patient_id'],
            'view': video['view'],
            'width': video['width'],
            'height': video['height'],
            'num_frames': video['num_frames'],
            'ori_shape': (video['height'], video['width']),
            'instances': instances,
            'sequence_label': int(bool(instances)),
            'frame_rate': video['frame_rate'],
            'acquired': video['acquired'],
            'label_mode': self.label_mode,
        }

    def _samples(self, info: dict) -> list[dict]:
        n = info['num_frames']
        if not self.window_mode:
            return [{**info, 'frame_id': None, 'frame_ids': list(range(n))}]
        if self.clip_length > 1:
            return self.clip_samples(info)
        targets = range(0, n, self.stride)
        windows = window_frame_indices(n, self.num_frames, self.target_index, targets)  # (len(targets), T)
        return [{**info, 'frame_id': t, 'frame_ids': ids} for t, ids in zip(targets, windows.tolist())]

    def clip_samples(self, info: dict) -> list[dict]:
        """The training clips of one video (:func:`clip_target_starts`; ``clip_length=1``: one per frame).

        Each has ``target_frame_ids`` (K consecutive targets) and ``frame_ids``: the frame window of
        ``K + T - 1`` frames around the first target at ``target_index``, so target ``j``'s window is
        positions ``j .. j + T - 1`` with the target at ``j + target_index``; ``frame_id`` is None.
        """
        n = info['num_frames']
        num_targets = min(self.clip_length, n)
        starts = clip_target_starts(n, self.clip_length)
        clips = window_frame_indices(n, num_targets + self.num_frames - 1, self.target_index, starts)
        return [
            {
                **info,
                'frame_id': None,
                'target_frame_ids': list(range(start, start + num_targets)),
                'frame_ids': frame_ids,
            }
            for start, frame_ids in zip(starts, clips.tolist())
        ]

    def filter_data(self) -> list[dict]:
        """Drop samples without a box in training when ``filter_empty`` is set."""
        if self.test_mode or not self.filter_empty:
            return self.data_list

        def has_box(info: dict) -> bool:
            return bool(self._target_labels(info))

        return [info for info in self.data_list if has_box(info)]

    def get_cat_ids(self, idx: int) -> list[int]:
        """Labels of the boxes of sample ``idx`` (the target frame's in window mode)."""
        return self._target_labels(self.get_data_info(idx))

    @staticmethod
    def _target_labels(info: dict) -> list[int]:
        """Labels of the boxes on the sample's target frames (window, clip) or of the whole sequence."""
        targets = info.get('target_frame_ids')
        if targets is None:
            targets = None if info['frame_id'] is None else [info['frame_id']]
        return [
            inst['bbox_label']
            for inst in info['instances']
            if targets is None or any(inst['frame_start'] <= t <= inst['frame_end'] for t in targets)
        ]

    def get_video_infos(self) -> list[dict]:
        """One record per video (after the ``views`` filter), in file order: the sample keys without
        ``frame_id`` / ``frame_ids``. Copies, safe to modify."""
        self.full_init()
        return [{**info, 'instances': [dict(i) for i in info['instances']]} for info in self._video_infos]

    @property
    def num_videos(self) -> int:
        """Number of videos (after the ``views`` filter, before ``filter_empty``)."""
        self.full_init()
        return len(self._video_infos)
