# OccluNet2 tiny with twice the demo's training time: the schedule of occlunet1_dsa_tiny_long.py.
_base_ = [
    '_base_/models/occlunet2_yolox_tiny.py',
    '_base_/datasets/dsa_windows_256.py',
    '_base_/schedules/sgd_nesterov_tiny_1500.py',
]
train_dataloader = dict(batch_size=4, dataset=dict(clip_length=2))
