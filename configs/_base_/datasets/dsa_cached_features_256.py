# Freeze-and-cache stage 2 data: training clips read from the feature cache of the stage-1 per-frame detector
# (tools/cache_features.py; no DICOM decoding, no backbone), validation and test on pixels as dsa_windows_256.
# The cache and the weights it was computed with go together: a stage-2 config sets
# load_from = stage1_checkpoint (backbone, neck and head); the cache refuses any other backbone/neck weights.
_base_ = ['./dsa_windows_256.py']

stage1_checkpoint = 'work_dirs/occlunet_frames_dsa_tiny/iter_750.pth'
feature_cache = 'work_dirs/feature_cache/occlunet_frames_dsa_tiny'
clip_length = 4  # targets per clip; 8 clips per batch from 8 sequences
train_dataloader = dict(
    batch_size=8,
    dataset=dict(
        type='CachedFeatureDataset',
        cache_dir=feature_cache,
        source_pipeline={{_base_.test_pipeline}},  # refused unless the cache was computed with it
        clip_length=clip_length,
        check_headers=False,
        # the cache's flipped copy (cache_features.py --flip) replaces RandomSequenceFlip
        pipeline=[dict(type='LoadCachedFeatures', flip_prob=0.5), dict(type='PackCachedFeatures')],
    ),
)
