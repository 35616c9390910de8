# dsa_windows at 256x256 network input (the *_tiny configs). Lists cannot be merged item by item, so the
# pipelines are restated with the new scale.
_base_ = ['./dsa_windows.py']

img_scale = (256, 256)
train_pipeline = [
    dict(type='LoadDSASequence'),
    dict(type='ResizeSequence', scale=img_scale),
    dict(type='NormalizeIntensity'),
    dict(type='RandomSequenceFlip', prob=0.5, direction='horizontal'),
    dict(type='NeighbourFrameStack', k=1),
    dict(type='PackDSAInputs'),
]
test_pipeline = [
    dict(type='LoadDSASequence'),
    dict(type='ResizeSequence', scale=img_scale),
    dict(type='NormalizeIntensity'),
    dict(type='NeighbourFrameStack', k=1),
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
