# Baseline: the same YOLOX-S detector on the minimum-intensity projection of each sequence (one image, no
# temporal module; OccluNet's paper used YOLOv11-X, which mmdet does not provide). Single class.
_base_ = [
    '_base_/models/occlunet1_yolox_s.py',
    '_base_/datasets/dsa_minip.py',
    '_base_/schedules/sgd_nesterov_20e.py',
    '_base_/default_runtime.py',
]

model = dict(
    backbone=dict(in_frames=1),  # one grey MinIP channel (set 3 and MinIntensityProjection(channels=3) for RGB weights)
    # one "frame" per sample: the temporal neck is the identity and the tracker sees one detection per box
    temporal_neck=dict(num_frames=1),
)

# keep the checkpoint with the best sequence-level F1 on the validation split (and the last 3)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3, save_best='sequence/f1', rule='greater'),
    logger=dict(type='LoggerHook', interval=20),
)
