# Baseline: YOLOX-S on the minimum-intensity projection of each sequence, single class.
_base_ = [
    '_base_/models/yolox_s_minip.py',
    '_base_/datasets/dsa_minip.py',
    '_base_/schedules/sgd_nesterov_20e.py',
]
