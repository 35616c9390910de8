"""OccluNet: YOLOX over stacks of neighbouring frames with a temporal module, and trajectory linking."""

from __future__ import annotations

import dataclasses

import torch
from mmdet.models.detectors.base import BaseDetector
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures import DetDataSample, SampleList
from mmdet.structures.bbox import bbox_flip
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from ..layers.state_fingerprint import state_fingerprint, state_version
from ..trackers import Track

CACHED_DIMS = 4  # cached features (N, L, C, P); pixels are (N, L, C, H, W)


@MODELS.register_module()
class OccluNet(BaseDetector):
    """The OccluNet detector (Kore et al.): backbone + PAFPN per frame, a temporal neck, a YOLOX head.

    Each frame's backbone + neck features are computed once: a training batch of N windows of T frames
    runs the backbone on N*T frames; :meth:`predict` on a whole sequence of S frames runs it S times and
    the temporal module over the cached features of the sliding windows (replicate padding at the ends),
    so every frame gets predictions, equal to those of the window samples centred on it. The per-frame
    detections are then linked into tracks.

    Predictions (:meth:`predict`, ``rescale=True``) are in DICOM pixels: a flip recorded in the metainfo
    (``flip``, ``flip_direction``, on ``img_shape``) is undone, then the boxes are divided by
    ``scale_factor`` (w, h, w, h), as the data contract (``PackDSAInputs``) defines. Tracks are linked in
    network-input pixels (the tracker's ``radius``) and mapped the same way.

    Args:
        backbone: e.g. ``MultiFrameCSPDarknet`` (frame stacks as channels).
        neck: e.g. mmdet ``YOLOXPAFPN``, applied per frame.
        temporal_neck: ``TemporalNeck`` with ``TemporalAttention`` (OccluNet1) or
            ``DividedSpaceTimeAttention`` (OccluNet2); its ``num_frames`` is the window length T.
        bbox_head: mmdet ``YOLOXHead``.
        tracker: ``TrajectoryLinker`` config (TASK_UTILS); None gives no tracks (``pred_tracks`` empty).
        feat_chunk_size: frames per backbone call and windows per temporal-module/head call in sequence
            inference (bounds memory).
        freeze_spatial: freeze the backbone and neck (no gradients, BatchNorm statistics kept: eval mode)
            and accept cached per-frame features as training inputs (freeze-and-cache training, stage 2:
            only the temporal neck and the head learn; see :meth:`cached_frame_features`). Prediction
            from pixels is unchanged, so the checkpoint is an ordinary OccluNet one.
        train_cfg: passed to the head (SimOTA assigner).
        test_cfg: passed to the head: ``score_thr``, ``nms``; ``max_per_img`` (optional; mmdet's YOLOX head
            ignores it) keeps the best detections of each frame after NMS, in both predict paths.
        data_preprocessor: e.g. ``SequenceDataPreprocessor``.
        init_cfg: mmengine init config.

    Shape:
        training inputs: (N, T, C, H, W) windows, targets of the target (centre) frame; or (N, L, C, H, W)
        clips of K_i targets (``target_frame_ids``, L >= K_i + T - 1), see :meth:`clip_features`.
        window inputs to predict: (N, T, C, H, W), ``frame_id`` an int in every metainfo.
        sequence inputs to predict: (N, S, C, H, W) whole sequences (``frame_id`` None in the metainfo,
        ``num_valid_frames`` the length of each), usually N = 1.
    """

    def __init__(
        self,
        backbone: ConfigType,
        neck: ConfigType,
        temporal_neck: ConfigType,
        bbox_head: ConfigType,
        tracker: OptConfigType = None,
        feat_chunk_size: int = 16,
        freeze_spatial: bool = False,
        train_cfg: OptConfigType = None,
        test_cfg: OptConfigType = None,
        data_preprocessor: OptConfigType = None,
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if feat_chunk_size < 1:
            raise ValueError(f'OccluNet: feat_chunk_size must be >= 1, got {feat_chunk_size}')
        # mmdet's heads read cfg.score_thr etc. as attributes: plain dicts need wrapping
        train_cfg = ConfigDict(train_cfg) if train_cfg is not None else None
        test_cfg = ConfigDict(test_cfg) if test_cfg is not None else None
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.temporal_neck = MODELS.build(temporal_neck)
        self.bbox_head = MODELS.build(dict(bbox_head, train_cfg=train_cfg, test_cfg=test_cfg))
        self.tracker = TASK_UTILS.build(tracker) if tracker is not None else None
        self.feat_chunk_size = feat_chunk_size
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.freeze_spatial = freeze_spatial
        self._fingerprint: tuple[tuple, str] | None = None  # (state_version, fingerprint) memo
        if freeze_spatial:
            self.backbone.requires_grad_(False)
            self.neck.requires_grad_(False)

    def train(self, mode: bool = True) -> OccluNet:
        """As ``nn.Module.train``; a frozen backbone and neck stay in eval mode (fixed BatchNorm)."""
        super().train(mode)
        if self.freeze_spatial:
            self.backbone.eval()
            self.neck.eval()
        return self

    def spatial_fingerprint(self) -> str:
        """Hash of the backbone + neck state, the key a feature cache is computed with."""
        version = state_version(self.backbone, self.neck)
        if self._fingerprint is None or self._fingerprint[0] != version:
            self._fingerprint = (version, state_fingerprint(self.backbone, self.neck))
        return self._fingerprint[1]

    def cached_frame_features(self, features: Tensor, data_samples: SampleList) -> tuple[Tensor, ...]:
        """Per-level frame features from cached (M, C, P) rows, after checking the cache's fingerprint.

        The cache (``tools/cache_features.py``) stores each frame's levels flattened and concatenated,
        finest first (metainfo ``feat_shapes``); it must come from this model's frozen backbone + neck
        (metainfo ``feature_fingerprint``), else training would fit features the model never computes.

        Shape:
            features: (M, C, P) -> tuple per level of (M, C, H_l, W_l)
        """
        if not self.freeze_spatial:
            raise ValueError(
                'OccluNet: cached features are inputs only of a model built with freeze_spatial=True'
            )
        meta = data_samples[0].metainfo
        own = self.spatial_fingerprint()
        stale = {s.metainfo.get('feature_fingerprint') for s in data_samples} - {own}
        if stale:
            raise ValueError(
                f'OccluNet: the feature cache was computed with backbone+neck weights '
                f'{sorted(map(str, stale))}, this model has {own} ({meta.get("img_path")}): stale cache, or '
                'load_from is not the checkpoint the cache was built from; rebuild it with '
                'python tools/cache_features.py CONFIG CKPT'
            )
        shapes = [tuple(s) for s in meta['feat_shapes']]
        sizes = [h * w for h, w in shapes]
        if sum(sizes) != features.shape[-1]:
            raise ValueError(
                f'OccluNet: cached features have {features.shape[-1]} positions, feat_shapes {shapes}'
            )
        levels = features.float().split(sizes, dim=-1)  # per level (M, C, H_l * W_l)
        return tuple(x.unflatten(-1, shape) for x, shape in zip(levels, shapes))  # (M, C, H_l, W_l)

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
        if inputs.dim() != 5:
            raise ValueError(f'OccluNet: expected windows (N, T, C, H, W), got shape {tuple(inputs.shape)}')
        t = inputs.shape[1]
        if t != self.num_frames:
            raise ValueError(f'OccluNet: windows of {t} frames given to a model built for {self.num_frames}')
        feats = self.frame_features(inputs.flatten(0, 1))  # each (N*T, C_l, H_l, W_l), frame-major per window
        return tuple(self.temporal_neck(feats))

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Head losses of window samples, or of every target of training clips (``target_frame_ids``)."""
        clips = [s.metainfo.get('target_frame_ids') is not None for s in data_samples]
        if any(clips) and not all(clips):
            raise ValueError('OccluNet.loss: a batch mixes window samples and clips')
        if not any(clips):
            if inputs.dim() == CACHED_DIMS:
                raise ValueError('OccluNet.loss: cached features come as clips (target_frame_ids)')
            return self.bbox_head.loss(self.extract_feat(inputs), data_samples)
        feats, targets = self.clip_features(inputs, data_samples)
        return self.bbox_head.loss(feats, targets)

    def clip_features(
        self, inputs: Tensor, data_samples: SampleList
    ) -> tuple[tuple[Tensor, ...], SampleList]:
        """Target features of every window of a batch of training clips, each frame's features computed once.

        Sample i holds ``K_i`` targets and ``K_i + T - 1`` frames (``num_valid_frames``; the rest is batch
        padding, never computed): target j's window is frames ``j .. j + T - 1``. Its boxes are the
        ``gt_instances`` with ``target_index == j``.

        Cached features (N, L, C, P) (``freeze_spatial``) replace the backbone + neck by
        :meth:`cached_frame_features`.

        Shape:
            inputs: (N, L, C, H, W) or (N, L, C, P) -> tuple per level of (sum K_i, C_l, H_l, W_l), and
            sum K_i samples.
        """
        if inputs.dim() not in (CACHED_DIMS, 5):
            raise ValueError(
                f'OccluNet: expected clips (N, L, C, H, W) or cached features (N, L, C, P), got shape '
                f'{tuple(inputs.shape)}'
            )
        t = self.num_frames
        frames, rows, targets = [], [], []
        offset = 0
        for clip, sample in zip(inputs, data_samples):
            meta = sample.metainfo
            num_targets = len(meta['target_frame_ids'])
            valid = meta.get('num_valid_frames', clip.shape[0])
            if valid != num_targets + t - 1:
                raise ValueError(
                    f'OccluNet: a clip of {num_targets} targets needs {num_targets + t - 1} frames for '
                    f'windows of {t}, got {valid} ({meta.get("img_path")})'
                )
            frames.append(clip[:valid])
            rows.append(offset + torch.arange(num_targets)[:, None] + torch.arange(t)[None, :])  # (K_i, T)
            offset += valid
            gt = sample.gt_instances
            for j, frame_id in enumerate(meta['target_frame_ids']):
                target = DetDataSample(metainfo=dict(meta, frame_id=frame_id, target_frame_ids=None))
                keep = gt.target_index == j
                target.gt_instances = InstanceData(bboxes=gt.bboxes[keep], labels=gt.labels[keep])
                targets.append(target)
        frames = torch.cat(frames)
        if inputs.dim() == CACHED_DIMS:
            cached = self.cached_frame_features(frames, data_samples)  # per level (sum L_i, C_l, H_l, W_l)
        else:
            cached = self.frame_features(frames)  # per level (sum L_i, C_l, H_l, W_l)
        index = torch.cat(rows).to(inputs.device)
        return tuple(self.temporal_neck.forward_index(cached, index)), targets

    def _forward(self, inputs: Tensor, data_samples: SampleList | None = None) -> tuple:
        return self.bbox_head.forward(self.extract_feat(inputs))

    def predict(self, inputs: Tensor, data_samples: SampleList, rescale: bool = True) -> SampleList:
        """Window samples get the target frame's detections (``pred_instances``); whole sequences get
        per-frame detections (``pred_instances`` with a ``frame_ids`` field) and ``pred_tracks`` (best
        first), in DICOM pixels when ``rescale``. A batch must not mix the two."""
        if any(s.metainfo.get('target_frame_ids') is not None for s in data_samples):
            raise ValueError('OccluNet.predict: training clips (target_frame_ids) cannot be predicted')
        windowed = [s.metainfo.get('frame_id') is not None for s in data_samples]
        if any(windowed) and not all(windowed):
            raise ValueError('OccluNet.predict: a batch mixes window samples and whole sequences')
        if all(windowed):
            feats = self.extract_feat(inputs)
            metas = [s.metainfo for s in data_samples]
            results = self.bbox_head.predict_by_feat(*self.bbox_head(feats), batch_img_metas=metas)
            results = [self._postprocess(r, meta, rescale) for r, meta in zip(results, metas)]
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
        """Per-frame detections and linked tracks for one whole sequence (frames in order).

        Sets ``data_sample.pred_instances`` (bboxes (K, 4), scores (K,), labels (K,), frame_ids (K,): the
        detections of all frames, frame by frame) and ``data_sample.pred_tracks`` (list of ``Track``,
        best first).

        Shape:
            frames: (S, C, H, W), S >= 1.
        """
        if frames.dim() != 4 or frames.shape[0] < 1:
            raise ValueError(f'OccluNet: expected a sequence (S, C, H, W), S >= 1, got {tuple(frames.shape)}')
        meta = data_sample.metainfo
        cached = self.sequence_features(frames)  # per level (S, C_l, H_l, W_l)
        num = frames.shape[0]
        per_frame: list[InstanceData] = []  # network-input pixels
        for start in range(0, num, self.feat_chunk_size):
            centres = list(range(start, min(start + self.feat_chunk_size, num)))
            feats = self.temporal_neck.forward_windows(cached, centres)  # per level (k, C_l, H_l, W_l)
            per_frame += self.detect(feats, meta)
        return self.sequence_prediction(per_frame, data_sample, rescale=rescale)

    def detect(self, feats: tuple[Tensor, ...], meta: dict) -> list[InstanceData]:
        """Head, NMS and ``max_per_img`` on target-frame features: one result per row, network-input pixels.

        Box decoding and NMS run in float32 also under autocast (NMS kernels take no bfloat16).

        Shape:
            feats: tuple per level of (k, C_l, H_l, W_l) -> k ``InstanceData``.
        """
        outs = self.bbox_head(feats)  # (cls_scores, bbox_preds, objectnesses), each a list per level
        with torch.autocast(device_type=feats[0].device.type, enabled=False):
            results = self.bbox_head.predict_by_feat(
                *([t.float() for t in level] for level in outs), batch_img_metas=[meta] * len(feats[0])
            )
        return [self._postprocess(r, meta, rescale=False) for r in results]

    def sequence_prediction(
        self, per_frame: list[InstanceData], data_sample: DetDataSample, rescale: bool = True
    ) -> DetDataSample:
        """Link the per-frame detections (network-input pixels, frame i = entry i) of a whole sequence and
        set ``pred_instances`` (with ``frame_ids``) and ``pred_tracks`` as :meth:`predict_sequence` does."""
        meta = data_sample.metainfo
        tracks = self.tracker.link(per_frame) if self.tracker is not None else []
        detections = InstanceData.cat(per_frame)
        detections.frame_ids = torch.cat(
            [
                torch.full((len(r),), i, dtype=torch.long, device=detections.bboxes.device)
                for i, r in enumerate(per_frame)
            ]
        )
        if rescale:
            detections.bboxes = self._to_original(detections.bboxes, meta)
            tracks = [self._rescale_track(t, meta) for t in tracks]
        data_sample.pred_instances = detections
        data_sample.set_field(tracks, 'pred_tracks')
        return data_sample

    def _postprocess(self, results: InstanceData, meta: dict, rescale: bool) -> InstanceData:
        """Keep the ``max_per_img`` best detections (after the head's NMS), clip the boxes to the network
        input (``img_shape``: an untrained or diverged model decodes boxes far outside it, which the linker,
        drawing and export must never see), map to DICOM pixels if asked."""
        max_per_img = (self.test_cfg or {}).get('max_per_img')
        if max_per_img is not None and len(results) > max_per_img:
            order = results.scores.argsort(descending=True, stable=True)[:max_per_img]
            results = results[order]
        if meta.get('img_shape') is not None and len(results):
            height, width = meta['img_shape'][:2]
            bboxes = results.bboxes.clone()
            bboxes[:, 0::2] = bboxes[:, 0::2].clamp(0, width)  # NaN stays NaN: reported as non-finite
            bboxes[:, 1::2] = bboxes[:, 1::2].clamp(0, height)
            results.bboxes = bboxes
        if rescale:
            results.bboxes = self._to_original(results.bboxes, meta)
        return results

    @staticmethod
    def _to_original(bboxes: Tensor, meta: dict) -> Tensor:
        """Network-input xyxy boxes to DICOM pixels: undo the recorded flip, divide by ``scale_factor``.

        Shape:
            bboxes: (K, 4) -> (K, 4)
        """
        if meta.get('flip') and meta.get('flip_direction') is not None:
            bboxes = bbox_flip(bboxes, meta['img_shape'], meta['flip_direction'])
        scale = meta.get('scale_factor')
        if scale is None:
            return bboxes
        w_scale, h_scale = scale
        return bboxes / bboxes.new_tensor([w_scale, h_scale, w_scale, h_scale])

    def _rescale_track(self, track: Track, meta: dict) -> Track:
        """The track with its boxes in DICOM pixels (a new, validated ``Track``; the rest unchanged)."""
        bboxes = self._to_original(torch.from_numpy(track.bboxes), meta).numpy()
        return dataclasses.replace(track, bboxes=bboxes)
