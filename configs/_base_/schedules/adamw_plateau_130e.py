# Mittmann et al.'s schedule: AdamW (lr 1e-5, weight decay 1e-2, default betas), batch 1, 130 epochs, mixed
# precision, the learning rate divided by 10 on a plateau, the checkpoint with the best validation MCC kept.
_base_ = ['../default_runtime.py']
max_epochs = 130
base_lr = 1e-5

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    # mixed precision on a GPU, full precision on a CPU (a config cannot test for CUDA itself)
    type='AmpOptimWrapper',
    constructor='AmpIfAvailableOptimWrapperConstructor',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=base_lr, betas=(0.9, 0.999), weight_decay=1e-2),
)
# The paper gives only the factor; its published code monitored the training loss with patience 20. An
# mmengine scheduler sees validation metrics: the validation BCE, with the same patience (in validations).
param_scheduler = [
    dict(type='ReduceOnPlateauLR', monitor='classification/bce', rule='less', factor=0.1, patience=20)
]
auto_scale_lr = dict(enable=False, base_batch_size=1)

default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', interval=1, max_keep_ckpts=3, save_best='classification/mcc', rule='greater'
    ),
    logger=dict(type='LoggerHook', interval=50),
)
