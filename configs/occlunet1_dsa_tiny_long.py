# OccluNet1 tiny with twice the demo's training time (about 33 min on 2 CPU cores): clips of 2 targets,
# 4 clips per batch, 1500 iterations = 6000 clips from 4 sequences per step (the demo's config: 750 x 2
# clips of 6). More independent sequences per step is what lets the per-frame objectness separate occluded
# from open runs (README, "Results"); the demo's 60-min budget has room for 750 x 2 only.
_base_ = [
    '_base_/models/occlunet1_yolox_tiny.py',
    '_base_/datasets/dsa_windows_256.py',
    '_base_/schedules/sgd_nesterov_tiny_1500.py',
]
train_dataloader = dict(batch_size=4, dataset=dict(clip_length=2))
