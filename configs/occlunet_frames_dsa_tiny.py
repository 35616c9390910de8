# Freeze-and-cache training, stage 1 (issue: OccluNet on a CPU budget): the per-frame detector of the
# OccluNet tiny configs - MultiFrameCSPDarknet on 3-frame stacks + PAFPN + YOLOX head, no temporal module
# (T = 1: TemporalNeck is the identity) - trained on single frames, clips of 6 consecutive frames, 2 per
# batch. Its backbone + neck are then frozen and cached (tools/cache_features.py) for the temporal stage
# (occlunet1_dsa_tiny_cached.py). On its own it is the T = 1 control: frame stacks, linking, no attention.
_base_ = ['./occlunet1_dsa_tiny.py']

num_frames = 1
model = dict(temporal_neck=dict(num_frames=num_frames))
train_dataloader = dict(dataset=dict(num_frames=num_frames))
