# Short schedule of the *_tiny configs: same optimiser as the paper's, a few epochs, brief warm-up.
_base_ = ['./sgd_nesterov_20e.py']

max_epochs = 3
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=50),
    dict(
        type='CosineAnnealingLR',
        eta_min=0.0005,
        by_epoch=True,
        begin=1,
        end=max_epochs,
        convert_to_iter_based=True,
    ),
]
