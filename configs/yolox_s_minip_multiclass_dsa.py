# MinIP baseline with the five occlusion classes.
_base_ = [
    '_base_/models/yolox_s_minip.py',
    '_base_/datasets/dsa_minip_multiclass.py',
    '_base_/schedules/sgd_nesterov_20e.py',
]

model = dict(bbox_head=dict(num_classes=5))
