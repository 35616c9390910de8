# DSA detection data: training on windows of T consecutive frames (target = centre frame, replicate padding
# at the sequence ends), validation/test on whole sequences (every frame predicted, then linked).
dataset_type = 'DSAVideoDataset'
data_root = 'data/synth_dsa/'  # python tools/make_synthetic.py --out data/synth_dsa (or make demo)
img_scale = (512, 512)  # (w, h) the network sees; predictions are mapped back to DICOM pixels
num_frames = 3
# target frame's position in each training window: None = centre (T // 2), -1 = causal (newest frame);
# must equal the model's temporal_cfg target_index (FrameWindowCheckHook stops training otherwise)
target_index = None
neighbours = 1  # frame t -> channels t-1, t, t+1
single_class = True
classes = ('occlusion',)
views = ('PA', 'LAT')
batch_size = 4
num_workers = 2

train_pipeline = [
    dict(type='LoadDSASequence'),
    dict(type='ResizeSequence', scale=img_scale),
    dict(type='NormalizeIntensity'),
    dict(type='RandomSequenceFlip', prob=0.5, direction='horizontal'),
    dict(type='NeighbourFrameStack', k=neighbours),
    dict(type='PackDSAInputs'),
]
test_pipeline = [
    dict(type='LoadDSASequence'),
    dict(type='ResizeSequence', scale=img_scale),
    dict(type='NormalizeIntensity'),
    dict(type='NeighbourFrameStack', k=neighbours),
    dict(type='PackDSAInputs'),
]

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=num_workers,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/train.json',
        metainfo=dict(classes=classes),
        num_frames=num_frames,
        target_index=target_index,
        stride=1,
        views=views,
        single_class=single_class,
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,  # one whole sequence at a time
    num_workers=num_workers,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/val.json',
        metainfo=dict(classes=classes),
        num_frames=None,
        test_mode=True,
        views=views,
        single_class=single_class,
        pipeline=test_pipeline,
    ),
)
test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'], ann_file='annotations/test.json')
)
val_evaluator = dict(
    type='SequenceDetectionMetric', distance_thr=25.0, ref_size=512, single_class=single_class
)
test_evaluator = val_evaluator
