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
# On 2 CPU cores, dataloader workers compete with the model's threads: load in the main process (the decoded,
# resized sequences stay cached there across iterations).
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline),
)
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
