# Freeze-and-cache stage 2 of OccluNet2 (divided space-time attention), as occlunet1_dsa_tiny_cached.py.
_base_ = [
    '_base_/models/occlunet2_yolox_tiny.py',
    '_base_/datasets/dsa_cached_features_256.py',
    '_base_/schedules/cached_stage2.py',
]
load_from = {{_base_.stage1_checkpoint}}  # the weights the feature cache was computed with
model = dict(freeze_spatial=True)
