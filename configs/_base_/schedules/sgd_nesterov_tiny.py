# Short schedule of the *_tiny configs: the paper's optimiser for a fixed number of iterations (windows are
# drawn at random from all training sequences), validation and a checkpoint every `interval` iterations.
_base_ = ['./sgd_nesterov_20e.py']

max_iters = 600
interval = 300
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters, val_interval=interval)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', eta_min=0.0005, by_epoch=False, begin=50, end=max_iters),
]
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=interval, max_keep_ckpts=2),
    logger=dict(interval=20),
)
log_processor = dict(by_epoch=False)
