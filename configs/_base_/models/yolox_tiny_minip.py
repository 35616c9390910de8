# The MinIP baseline with the *_tiny widths.
_base_ = ['./occlunet1_yolox_tiny.py']

model = dict(backbone=dict(in_frames=1), temporal_neck=dict(num_frames=1))
