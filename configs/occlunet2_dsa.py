# OccluNet2: YOLOX-S + divided space-time attention (TimeSformer-style), single class; paper settings.
_base_ = [
    '_base_/models/occlunet2_yolox_s.py',
    '_base_/datasets/dsa_windows.py',
    '_base_/schedules/sgd_nesterov_20e.py',
]
