# The MinIP baseline model: the same YOLOX-S on one grey image per sequence, no temporal module (T = 1: the
# temporal neck is the identity and the tracker sees one detection per box). OccluNet's paper used YOLOv11-X,
# which mmdet does not provide. For RGB-pretrained weights set in_frames=3 and MinIntensityProjection(channels=3).
_base_ = ['./occlunet1_yolox_s.py']

model = dict(backbone=dict(in_frames=1), temporal_neck=dict(num_frames=1))
