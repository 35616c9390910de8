# OccluNet2 with the five occlusion classes.
_base_ = [
    '_base_/models/occlunet2_yolox_s.py',
    '_base_/datasets/dsa_windows_multiclass.py',
    '_base_/schedules/sgd_nesterov_20e.py',
]

model = dict(bbox_head=dict(num_classes=5))
