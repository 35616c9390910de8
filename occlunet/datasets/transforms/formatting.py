"""Pack a DSA sample for the models: the contract between the data pipeline and the detector/classifier.

``PackDSAInputs`` returns ``{'inputs': Tensor, 'data_samples': DetDataSample}``:

``inputs``: float32 torch tensor (T, C, H, W), contiguous.
    T = window length in window mode (target frame at index ``T // 2``), the sequence length n in
    whole-sequence mode (``NeighbourFrameStack``), ``ceil(n / size)`` (``FrameChunkStack``) or 1 (MinIP).
    C = channels of the stacking transform (2k+1, chunk size, MinIP channels; 1 without stacking).
    H, W = ``img_shape``. mmengine's ``pseudo_collate`` gives lists; the data preprocessor stacks
    (N, T, C, H, W), padding sequences of different T / size as it sees fit.

``data_samples.gt_instances`` (``InstanceData``), boxes in network-input pixels (after resize/flip/
augmentation), xyxy:
    - window mode (``frame_id`` is an int): the annotations whose ``[frame_start, frame_end]`` contains the
      target frame: ``bboxes`` float32 (N, 4), ``labels`` int64 (N,).
    - clip mode (``target_frame_ids`` is a list of K frames): for each target j the annotations visible on
      it, concatenated, plus ``target_index`` int64 (N,) = j.
    - whole-sequence mode (``frame_id`` and ``target_frame_ids`` None): every annotation of the sequence,
      plus ``frame_start``, ``frame_end`` int64 (N,) (inclusive, sequence frame indices).
    N may be 0 (no occlusion on that frame / in that sequence).

``data_samples.gt_label``: int64 tensor of shape (1,): the sequence label, 1 if the sequence has any
    annotation (occlusion/thrombus), else 0 (Mittmann et al.'s target; present in every mode).

``data_samples.metainfo`` (every key always present; None where not applicable):
    ``video_id`` int, ``img_path`` str (absolute), ``file_name`` str (relative to the data root),
    ``study_id`` str|None, ``view`` str, ``frame_id`` int|None (target frame), ``target_frame_ids``
    list[int]|None (the K targets of a training clip; target j's window is inputs ``j .. j + T_w - 1``),
    ``frame_ids`` list[int] (the sequence frame of each of the T inputs; for chunks/MinIP the frames
    covered),
    ``num_frames`` int (sequence length n), ``ori_shape`` (H0, W0) of the DICOM, ``img_shape`` (H, W),
    ``scale_factor`` (w_scale, h_scale) such that ``bbox_dicom = bbox_input / [w, h, w, h]`` (undo the
    flip first), ``flip`` bool, ``flip_direction`` str|None, ``sequence_label`` int (0/1),
    ``frame_rate`` float|None (frames per second; the mean rate of a variable-rate run),
    ``frame_times`` list[float]|None (seconds from the first frame, one per *sequence* frame, from
    FrameTime/FrameTimeVector; index it with ``frame_ids``). The models count frames, not seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from .box_ops import empty_boxes
from .pixels import pixel_key

DEFAULT_META_KEYS: tuple[str, ...] = (
    'video_id',
    'img_path',
    'file_name',
    'study_id',
    'view',
    'frame_id',
    'target_frame_ids',
    'frame_ids',
    'num_frames',
    'ori_shape',
    'img_shape',
    'scale_factor',
    'flip',
    'flip_direction',
    'sequence_label',
    'frame_rate',
    'frame_times',
)
SAMPLE_DIMS = 4  # (T, C, H, W)


@TRANSFORMS.register_module()
class PackDSAInputs(BaseTransform):
    """Pack pixels, targets and meta information (the contract is in this module's docstring).

    Without a stacking transform the sample's frames are packed as (T, 1, H, W).

    Args:
        meta_keys: keys copied from ``results`` into the data sample's metainfo (None when absent).
    """

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        self.meta_keys = tuple(meta_keys)

    @staticmethod
    def _pixels(results: dict) -> np.ndarray:
        if pixel_key(results) == 'img':
            img = results['img']
        else:  # no stacking: gather the sample's frames as one channel
            img = results['frames'][np.asarray(results['frame_ids'], dtype=np.int64)][:, None]  # (T, 1, H, W)
        if img.ndim != SAMPLE_DIMS:
            raise ValueError(f'PackDSAInputs: expected pixels (T, C, H, W), got shape {img.shape}')
        return np.ascontiguousarray(img, dtype=np.float32)

    @staticmethod
    def _instances(results: dict) -> InstanceData:
        boxes = results.get('gt_bboxes', empty_boxes())
        labels = results.get('gt_bboxes_labels', np.zeros((0,), dtype=np.int64))
        starts = results.get('gt_frame_start', np.zeros((0,), dtype=np.int64))
        ends = results.get('gt_frame_end', np.zeros((0,), dtype=np.int64))
        frame_id = results.get('frame_id')
        targets = results.get('target_frame_ids')
        instances = InstanceData()
        if targets is not None:  # clip: the boxes of each target frame, tagged with its position
            keeps = [(starts <= t) & (t <= ends) for t in targets]
            boxes = np.concatenate([boxes[keep] for keep in keeps]) if keeps else boxes[:0]
            labels = np.concatenate([labels[keep] for keep in keeps]) if keeps else labels[:0]
            index = np.concatenate(
                [np.full(int(keep.sum()), j, dtype=np.int64) for j, keep in enumerate(keeps)]
            )
            instances.target_index = torch.from_numpy(np.ascontiguousarray(index, dtype=np.int64))
        elif frame_id is not None:
            keep = (starts <= frame_id) & (frame_id <= ends)
            boxes, labels = boxes[keep], labels[keep]
        instances.bboxes = torch.from_numpy(np.ascontiguousarray(boxes, dtype=np.float32).reshape(-1, 4))
        instances.labels = torch.from_numpy(np.ascontiguousarray(labels, dtype=np.int64))
        if frame_id is None and targets is None:
            instances.frame_start = torch.from_numpy(np.ascontiguousarray(starts, dtype=np.int64))
            instances.frame_end = torch.from_numpy(np.ascontiguousarray(ends, dtype=np.int64))
        return instances

    def transform(self, results: dict) -> dict:
        """Pack one sample."""
        inputs = torch.from_numpy(self._pixels(results)).contiguous()  # (T, C, H, W)
        data_sample = DetDataSample()
        data_sample.gt_instances = self._instances(results)
        label = int(results.get('sequence_label', 0))
        data_sample.set_field(torch.tensor([label], dtype=torch.long), 'gt_label')
        meta = {key: results.get(key) for key in self.meta_keys}
        for key in ('frame_ids', 'target_frame_ids'):
            if meta.get(key) is not None:
                meta[key] = [int(i) for i in meta[key]]
        if meta.get('frame_times') is not None:
            meta['frame_times'] = [float(t) for t in meta['frame_times']]
        data_sample.set_metainfo(meta)
        return {'inputs': inputs, 'data_samples': data_sample}

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
