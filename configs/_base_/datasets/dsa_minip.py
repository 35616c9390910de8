# MinIP baseline data: each sequence becomes one image, its minimum-intensity projection (every vessel the
# contrast ever filled), with the sequence's box. Same splits and resizing as the temporal models.
_base_ = ['./dsa_windows.py']

minip_pipeline_head = [
    dict(type='LoadDSASequence'),
    dict(type='ResizeSequence', scale={{_base_.img_scale}}),
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

train_dataloader = dict(dataset=dict(num_frames=None, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
