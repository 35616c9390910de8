# OccluNet2 small enough to train on 2 CPU cores in minutes (make demo).
_base_ = [
    '_base_/models/occlunet2_yolox_tiny.py',
    '_base_/datasets/dsa_windows_256.py',
    '_base_/schedules/sgd_nesterov_tiny.py',
]
