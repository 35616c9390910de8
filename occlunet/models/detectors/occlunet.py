"""OccluNet: YOLOX over stacks of neighbouring frames with a temporal module, and trajectory linking."""

from __future__ import annotations

import dataclasses

import torch
from mmdet.models.detectors.base import BaseDetector
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures import DetDataSample, SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import InstanceData
from torch import Tensor


@MODELS.register_module()
class OccluNet(BaseDetector):
    """The OccluNet detector (Kore et al.): backbone + PAFPN per frame, a temporal neck, a YOLOX head.

    Each frame's backbone + neck features are computed once: a training batch of N windows of T frames
    runs the backbone on N*T frames; :meth:`predict` on a whole sequence of S frames runs it S times and
    the temporal module over the cached features of the sliding windows (replicate padding at the ends),
    so every frame gets predictions. The per-frame detections are then linked into tracks.

    Args:
        backbone: e.g. ``MultiFrameCSPDarknet`` (frame stacks as channels).
        neck: e.g. mmdet ``YOLOXPAFPN``, applied per frame.
        temporal_neck: ``TemporalNeck`` with ``TemporalAttention`` (OccluNet1) or
            ``DividedSpaceTimeAttention`` (OccluNet2); its ``num_frames`` is the window length T.
        bbox_head: mmdet ``YOLOXHead``.
        tracker: ``TrajectoryLinker`` config (TASK_UTILS); None returns per-frame detections only.
        feat_chunk_size: frames per backbone call in sequence inference (bounds memory).
        train_cfg / test_cfg: passed to the head (SimOTA assigner; score threshold and NMS).

    Shape:
        training inputs: (N, T, C, H, W) windows, targets of the centre frame.
        sequence inputs: (1, S, C, H, W) whole sequences (``frame_id`` None in the metainfo).
    """

    def __init__(
        self,
        backbone: ConfigType,
        neck: ConfigType,
        temporal_neck: ConfigType,
        bbox_head: ConfigType,
        tracker: OptConfigType = None,
        feat_chunk_size: int = 16,
        train_cfg: OptConfigType = None,
        test_cfg: OptConfigType = None,
        data_preprocessor: OptConfigType = None,
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if feat_chunk_size < 1:
            raise ValueError(f'feat_chunk_size must be >= 1, got {feat_chunk_size}')
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.temporal_neck = MODELS.build(temporal_neck)
        bbox_head = dict(bbox_head, train_cfg=train_cfg, test_cfg=test_cfg)
        self.bbox_head = MODELS.build(bbox_head)
        self.tracker = TASK_UTILS.build(tracker) if tracker is not None else None
        self.feat_chunk_size = feat_chunk_size
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

    @property
    def num_frames(self) -> int:
        """Window length T of the temporal module."""
        return self.temporal_neck.num_frames

    def frame_features(self, frames: Tensor) -> tuple[Tensor, ...]:
        """Backbone + neck on independent frame stacks.

        Shape:
            frames: (M, C, H, W) -> tuple per pyramid level of (M, C_l, H_l, W_l)
        """
        return tuple(self.neck(self.backbone(frames)))

    def extract_feat(self, inputs: Tensor) -> tuple[Tensor, ...]:
        """Features of the target frame of each window.

        Shape:
            inputs: (N, T, C, H, W) -> tuple per level of (N, C_l, H_l, W_l)
        """
        n, t = inputs.shape[:2]
        if t != self.num_frames:
            raise ValueError(f'windows of {t} frames given to a model built for {self.num_frames}')
        feats = self.frame_features(inputs.flatten(0, 1))  # each (N*T, C_l, H_l, W_l), frame-major per window
        return tuple(self.temporal_neck(feats))

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        return self.bbox_head.loss(self.extract_feat(inputs), data_samples)

    def _forward(self, inputs: Tensor, data_samples: SampleList | None = None) -> tuple:
        return self.bbox_head.forward(self.extract_feat(inputs))

    def predict(self, inputs: Tensor, data_samples: SampleList, rescale: bool = True) -> SampleList:
        """Window samples get the target frame's detections; whole sequences get per-frame detections
        (``pred_instances`` with a ``frame_ids`` field) and ``pred_tracks`` (best first), in DICOM pixels
        when ``rescale``."""
        if all(s.metainfo.get('frame_id') is not None for s in data_samples):
            results = self.bbox_head.predict(self.extract_feat(inputs), data_samples, rescale=rescale)
            return self.add_pred_to_datasample(data_samples, results)
        for frames, sample in zip(inputs, data_samples):
            valid = sample.metainfo.get('num_valid_frames', frames.shape[0])
            self.predict_sequence(frames[:valid], sample, rescale=rescale)
        return data_samples

    def sequence_features(self, frames: Tensor) -> tuple[Tensor, ...]:
        """Backbone + neck once per frame of a sequence, in chunks of ``feat_chunk_size`` frames.

        Shape:
            frames: (S, C, H, W) -> tuple per level of (S, C_l, H_l, W_l)
        """
        chunks = [
            self.frame_features(frames[i : i + self.feat_chunk_size])
            for i in range(0, len(frames), self.feat_chunk_size)
        ]
        return tuple(torch.cat(level) for level in zip(*chunks))

    def predict_sequence(
        self, frames: Tensor, data_sample: DetDataSample, rescale: bool = True
    ) -> DetDataSample:
        """Per-frame detections and linked tracks for one whole sequence (frames in order)."""
        cached = self.sequence_features(frames)
        num = frames.shape[0]
        per_frame: list[InstanceData] = []
        for start in range(0, num, self.feat_chunk_size):
            centres = list(range(start, min(start + self.feat_chunk_size, num)))
            feats = self.temporal_neck.forward_windows(cached, centres)
            metas = [data_sample.metainfo] * len(centres)
            per_frame += self.bbox_head.predict_by_feat(
                *self.bbox_head(feats), batch_img_metas=metas, rescale=False
            )
        tracks = self.tracker.link(per_frame) if self.tracker is not None else []
        scale = self._box_scale(data_sample, frames) if rescale else None
        frame_ids = torch.cat([torch.full((len(r),), i, dtype=torch.long) for i, r in enumerate(per_frame)])
        detections = InstanceData.cat(per_frame) if per_frame else InstanceData()
        detections.frame_ids = frame_ids.to(frames.device)
        if scale is not None:
            detections.bboxes = detections.bboxes / scale
            tracks = [dataclasses.replace(t, bboxes=t.bboxes / scale.cpu().numpy()) for t in tracks]
        data_sample.pred_instances = detections
        data_sample.set_field(tracks, 'pred_tracks')
        return data_sample

    @staticmethod
    def _box_scale(data_sample: DetDataSample, frames: Tensor) -> Tensor:
        w_scale, h_scale = data_sample.metainfo.get('scale_factor') or (1.0, 1.0)
        return frames.new_tensor([w_scale, h_scale, w_scale, h_scale])
