# The tiny schedule for 1500 iterations (MinIP baseline, *_tiny_long OccluNets): validation and a checkpoint
# every 750, the cosine decay ending with the run.
_base_ = ['./sgd_nesterov_tiny.py']

max_iters = 1500
interval = 750
train_cfg = dict(max_iters=max_iters, val_interval=interval)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', eta_min=0.0005, by_epoch=False, begin=50, end=max_iters),
]
default_hooks = dict(checkpoint=dict(interval=interval))
