# DSA classification data (Mittmann et al. 2022): whole sequences with their thrombus label (1 if the run
# has any occlusion annotation), cut into chunks of 3 consecutive frames stacked as channels (the last frame
# repeated to fill the last chunk). Augmentations: the paper names them ("vertical flipping,
# shift-scale-rotate transformations, changing the contrast, blurring, adding noise and down-scaling the
# images to the half resolution"); the values are those of its published training code (Albumentations).
dataset_type = 'DSAVideoDataset'
data_root = 'data/synth_dsa/'  # python tools/make_synthetic.py --out data/synth_dsa (or make demo)
img_scale = (512, 512)  # paper: "uniformly resized to 512x512 pixel"
chunk_size = 3  # frames per CNN input (paper: 3)
# The paper trains one model per view; these configs train one model on both. Per view: README, "Sequence
# classifier" (--cfg-options {train,val,test}_dataloader.dataset.views="['PA']").
views = ('PA', 'LAT')
batch_size = 1  # paper
num_workers = 2

sequence_head = [
    dict(type='LoadDSASequence'),
    dict(type='ResizeSequence', scale=img_scale),
    dict(type='NormalizeIntensity'),
    dict(type='FrameChunkStack', size=chunk_size),
]
augmentations = [
    dict(type='RandomSequenceFlip', prob=0.5, direction='vertical'),
    dict(
        type='RandomShiftScaleRotate',
        shift_limit=0.15,
        scale_limit=0.1,  # published: scale in (1, 1.1); symmetric here
        rotate_limit=20.0,
        prob=1.0,
        border_mode='replicate',  # published: a constant background grey
    ),
    dict(type='RandomContrast', limit=0.2, prob=0.2),
    dict(type='RandomGaussianBlur', kernel_range=(3, 3), prob=0.5),  # published: MedianBlur(3), p=0.5
    # published: OneOf(multiplicative noise, downscale to 1/2), p=0.5 -> noise 0.2, half resolution 0.3
    dict(type='RandomGaussianNoise', prob=0.2),
    dict(type='RandomHalfResolution', prob=0.3),
]
train_pipeline = [*sequence_head, *augmentations, dict(type='PackDSAInputs')]
test_pipeline = [*sequence_head, dict(type='PackDSAInputs')]

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=num_workers,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/train.json',
        label_mode='sequence',  # one sample per whole sequence, gt_label = sequence label 0/1
        views=views,
        single_class=True,
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=num_workers,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/val.json',
        label_mode='sequence',
        test_mode=True,
        views=views,
        single_class=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'], ann_file='annotations/test.json')
)
# MCC, AUC, sensitivity, specificity, accuracy, BCE, counts under 'classification/'; tools/test.py --out
# results.json writes the per-sequence scores (the input of tools/ensemble.py)
val_evaluator = dict(type='BinaryClassificationMetric', threshold=0.5)
test_evaluator = val_evaluator
