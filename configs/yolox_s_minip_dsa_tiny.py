# MinIP baseline small enough to train on 2 CPU cores in minutes (make demo). One image per sequence is
# cheap: 1500 iterations x 4 MinIPs = about 21 epochs of the 280 training sequences (about 8 min), ten
# times the OccluNet tiny epochs, as the paper trained its baseline 200 epochs against OccluNet's 20.
_base_ = [
    '_base_/models/yolox_tiny_minip.py',
    '_base_/datasets/dsa_minip_256.py',
    '_base_/schedules/sgd_nesterov_tiny_1500.py',
]
