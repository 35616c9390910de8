"""The tiny OccluNet config shared by the model tests (fast on a CPU, 64-px inputs)."""

from __future__ import annotations


def occlunet_cfg(temporal: str, num_frames: int = 3, target_index: int | None = None) -> dict:
    """OccluNet with a 1/8-width YOLOX-S backbone, 16-channel neck/head and ``temporal`` attention."""
    return dict(
        type='OccluNet',
        data_preprocessor=dict(type='SequenceDataPreprocessor', mean=0.5, std=0.25),
        backbone=dict(type='MultiFrameCSPDarknet', in_frames=3, deepen_factor=0.33, widen_factor=0.125),
        neck=dict(type='YOLOXPAFPN', in_channels=[32, 64, 128], out_channels=16, num_csp_blocks=1),
        temporal_neck=dict(
            type='TemporalNeck',
            in_channels=[16, 16, 16],
            num_frames=num_frames,
            embed_dims=16,
            temporal_cfg=dict(type=temporal, num_heads=4, target_index=target_index),
        ),
        bbox_head=dict(type='YOLOXHead', num_classes=1, in_channels=16, feat_channels=16, stacked_convs=1),
        test_cfg=dict(score_thr=0.0, nms=dict(type='nms', iou_threshold=0.65)),
    )
