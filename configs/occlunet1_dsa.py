# OccluNet1: YOLOX-S + temporal attention across the 3 frames of a window, single class 'occlusion'. Paper
# settings: 512x512, 3 neighbour frames as channels, window T=3, sequence-level left-right flip, SGD with
# Nesterov momentum, 20 epochs, batch 4.   python tools/train.py configs/occlunet1_dsa.py
_base_ = [
    '_base_/models/occlunet1_yolox_s.py',
    '_base_/datasets/dsa_windows.py',
    '_base_/schedules/sgd_nesterov_20e.py',
]
