# Freeze-and-cache training, stage 2: OccluNet1 tiny whose backbone + PAFPN are the frozen stage-1 per-frame
# detector (occlunet_frames_dsa_tiny.py; its head is the starting point too); only the temporal attention and
# the head learn, on features cached once per frame (the YOLOV / Long-Term Feature Bank recipe):
#   python tools/train.py configs/occlunet_frames_dsa_tiny.py
#   python tools/cache_features.py configs/occlunet_frames_dsa_tiny.py \
#       work_dirs/occlunet_frames_dsa_tiny/iter_750.pth --out work_dirs/feature_cache/occlunet_frames_dsa_tiny --flip
#   python tools/train.py configs/occlunet1_dsa_tiny_cached.py
# The result is an ordinary OccluNet checkpoint: validation, test, infer.py and streaming run on pixels.
_base_ = [
    '_base_/models/occlunet1_yolox_tiny.py',
    '_base_/datasets/dsa_cached_features_256.py',
    '_base_/schedules/cached_stage2.py',
]
load_from = {{_base_.stage1_checkpoint}}  # the weights the feature cache was computed with
model = dict(freeze_spatial=True)
