# OccluNet1 (Kore et al.): YOLOX-S on stacks of 3 neighbouring frames, PAFPN per frame, transformer attention
# across the T frames of a window at every location of every pyramid level (learned positional embedding),
# YOLOX head, trajectory linking of the per-frame detections. OccluNet2 swaps temporal_cfg.type only.
norm_cfg = dict(type='BN', momentum=0.03, eps=0.001)
act_cfg = dict(type='Swish')

model = dict(
    type='OccluNet',
    # inputs are DSA grey values stretched to [0, 1] by NormalizeIntensity; centre them for the network
    data_preprocessor=dict(type='SequenceDataPreprocessor', mean=0.5, std=0.25, pad_size_divisor=32),
    backbone=dict(
        type='MultiFrameCSPDarknet',
        in_frames=3,  # neighbouring frames stacked as channels (NeighbourFrameStack k=1)
        deepen_factor=0.33,
        widen_factor=0.5,
        out_indices=(2, 3, 4),
        use_depthwise=False,
        spp_kernal_sizes=(5, 9, 13),
        norm_cfg=norm_cfg,
        act_cfg=act_cfg,
    ),
    neck=dict(
        type='YOLOXPAFPN',
        in_channels=[128, 256, 512],
        out_channels=128,
        num_csp_blocks=1,
        use_depthwise=False,
        upsample_cfg=dict(scale_factor=2, mode='nearest'),
        norm_cfg=norm_cfg,
        act_cfg=act_cfg,
    ),
    temporal_neck=dict(
        type='TemporalNeck',
        in_channels=[128, 128, 128],
        num_frames=3,  # window length T (the dataset's num_frames)
        # attention width per level: P3 (stride 8) is projected down to keep its cost modest
        embed_dims=[64, 128, 128],
        temporal_cfg=dict(type='TemporalAttention', num_layers=1, num_heads=4, mlp_ratio=2.0, dropout=0.1),
    ),
    bbox_head=dict(
        type='YOLOXHead',
        num_classes=1,
        in_channels=128,
        feat_channels=128,
        stacked_convs=2,
        strides=(8, 16, 32),
        use_depthwise=False,
        norm_cfg=norm_cfg,
        act_cfg=act_cfg,
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='sum', loss_weight=1.0),
        loss_bbox=dict(type='IoULoss', mode='square', eps=1e-16, reduction='sum', loss_weight=5.0),
        loss_obj=dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='sum', loss_weight=1.0),
        loss_l1=dict(type='L1Loss', reduction='sum', loss_weight=1.0),
    ),
    # trajectory-based optimisation: link per-frame boxes whose centres lie within 25 px (network input)
    tracker=dict(type='TrajectoryLinker', radius=25.0, score_thr=0.01, max_gap=0, class_agnostic=True),
    feat_chunk_size=16,
    train_cfg=dict(assigner=dict(type='SimOTAAssigner', center_radius=2.5)),
    test_cfg=dict(score_thr=0.01, nms=dict(type='nms', iou_threshold=0.65), max_per_img=20),
)
