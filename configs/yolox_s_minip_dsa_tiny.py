# MinIP baseline small enough to train on 2 CPU cores in minutes (make demo).
_base_ = [
    '_base_/models/yolox_tiny_minip.py',
    '_base_/datasets/dsa_minip_256.py',
    '_base_/schedules/sgd_nesterov_tiny.py',
]
