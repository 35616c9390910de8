# dsa_minip at 256x256 network input (the MinIP *_tiny config).
_base_ = ['./dsa_minip.py']

img_scale = (256, 256)
minip_pipeline_head = [
    dict(type='LoadDSASequence'),
    dict(type='ResizeSequence', scale=img_scale),
    dict(type='NormalizeIntensity'),
]
train_pipeline = [
    *minip_pipeline_head,
    dict(type='RandomSequenceFlip', prob=0.5, direction='horizontal'),
    dict(type='MinIntensityProjection', channels=1),
    dict(type='PackDSAInputs'),
]
test_pipeline = [
    *minip_pipeline_head,
    dict(type='MinIntensityProjection', channels=1),
    dict(type='PackDSAInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
