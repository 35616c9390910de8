# OccluNet2: OccluNet1 with TimeSformer-style divided space-time attention (temporal attention per location,
# then windowed spatial attention within each frame; zero-initialised temporal projection).
_base_ = ['./occlunet1_yolox_s.py']

model = dict(
    temporal_neck=dict(
        temporal_cfg=dict(
            _delete_=True,
            type='DividedSpaceTimeAttention',
            num_layers=1,
            num_heads=4,
            mlp_ratio=2.0,
            dropout=0.1,
            # global spatial attention over a 64x64 P3 map is 4096 tokens: use 8x8 windows instead
            spatial_mode='window',
            window_size=8,
        )
    )
)
