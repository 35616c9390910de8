# Short schedule of the *_tiny configs: the paper's optimiser for a fixed number of iterations (training
# clips drawn at random from all training sequences), validation and a checkpoint every `interval`
# iterations. OccluNet tiny: 750 iterations x 2 clips x 6 targets = 9000 target frames, about 2 epochs of
# the 280 training sequences (about 13 min on 2 CPU cores).
_base_ = ['./sgd_nesterov_20e.py']

max_iters = 750
interval = 375
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
