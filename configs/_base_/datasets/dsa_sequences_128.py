# dsa_sequences at 128x128 network input, 4 sequences per batch, loading in the main process (the *_tiny
# classifier configs, trained on 2 CPU cores). Lists cannot be merged item by item: the pipelines are restated.
_base_ = ['./dsa_sequences.py']

img_scale = (128, 128)
batch_size = 4
sequence_head = [
    dict(type='LoadDSASequence'),
    dict(type='ResizeSequence', scale=img_scale),
    dict(type='NormalizeIntensity'),
    dict(type='FrameChunkStack', size=3),
]
augmentations = [
    dict(type='RandomSequenceFlip', prob=0.5, direction='vertical'),
    dict(
        type='RandomShiftScaleRotate',
        shift_limit=0.15,
        scale_limit=0.1,
        rotate_limit=20.0,
        prob=1.0,
        border_mode='replicate',
    ),
    dict(type='RandomContrast', limit=0.2, prob=0.2),
    dict(type='RandomGaussianBlur', kernel_range=(3, 3), prob=0.5),
    dict(type='RandomGaussianNoise', prob=0.2),
    dict(type='RandomHalfResolution', prob=0.3),
]
train_pipeline = [*sequence_head, *augmentations, dict(type='PackDSAInputs')]
test_pipeline = [*sequence_head, dict(type='PackDSAInputs')]
# On 2 CPU cores, dataloader workers compete with the model's threads: load in the main process (the decoded,
# resized sequences stay cached there across epochs).
train_dataloader = dict(
    batch_size=batch_size, num_workers=0, persistent_workers=False, dataset=dict(pipeline=train_pipeline)
)
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
