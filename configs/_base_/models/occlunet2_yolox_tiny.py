# OccluNet2 with YOLOX-nano-like widths (same depth as S): the *_tiny configs, trainable on a CPU.
_base_ = ['./occlunet2_yolox_s.py']

model = dict(
    backbone=dict(widen_factor=0.25),
    neck=dict(in_channels=[64, 128, 256], out_channels=64),
    temporal_neck=dict(in_channels=[64, 64, 64], embed_dims=[32, 64, 64]),
    bbox_head=dict(in_channels=64, feat_channels=64),
)
