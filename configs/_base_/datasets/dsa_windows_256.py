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
# Clips of 6 consecutive target frames (8 frames with their window context), 2 per batch: each frame's
# features are computed once for up to 6 windows, so an iteration trains 12 targets for 16 backbone passes
# (window samples: 4 targets for 12 passes). The windows and their targets are those of window mode.
# On 2 CPU cores, dataloader workers compete with the model's threads: load in the main process (the decoded,
# resized sequences stay cached there across iterations).
clip_length = 6
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(clip_length=clip_length, pipeline=train_pipeline),
)
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
