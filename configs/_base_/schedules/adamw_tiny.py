# Short schedule of the *_tiny classifier configs (2 CPU cores, minutes): the paper's optimiser with a
# learning rate 100x higher and a few epochs; validation every epoch, the best validation MCC kept.
_base_ = ['./adamw_plateau_130e.py']

max_epochs = 10
base_lr = 1e-3
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
optim_wrapper = dict(optimizer=dict(lr=base_lr), clip_grad=dict(max_norm=5.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=30),
    dict(type='ReduceOnPlateauLR', monitor='classification/bce', rule='less', factor=0.1, patience=2),
]
default_hooks = dict(checkpoint=dict(max_keep_ckpts=1), logger=dict(interval=10))
