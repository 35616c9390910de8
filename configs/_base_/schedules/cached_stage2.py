# Freeze-and-cache stage 2: the tiny SGD schedule for the temporal module + head only. A step on cached
# features costs a fraction of a pixel step (no backbone/PAFPN forward or backward): 1500 steps of 8 clips x 4
# targets = 48 000 targets, about 2.5 passes over the cached training frames and their flipped copies, in
# about a third of the time stage 1 takes for 9 000 targets.
_base_ = ['./sgd_nesterov_tiny.py']

max_iters = 1500
interval = 1500
train_cfg = dict(max_iters=max_iters, val_interval=interval)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', eta_min=0.0005, by_epoch=False, begin=100, end=max_iters),
]
default_hooks = dict(checkpoint=dict(interval=interval), logger=dict(interval=100))
