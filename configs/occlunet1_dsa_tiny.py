# OccluNet1 small enough to train on 2 CPU cores in minutes (make demo): nano-like widths, 256 px, short schedule.
_base_ = [
    '_base_/models/occlunet1_yolox_tiny.py',
    '_base_/datasets/dsa_windows_256.py',
    '_base_/schedules/sgd_nesterov_tiny.py',
]
