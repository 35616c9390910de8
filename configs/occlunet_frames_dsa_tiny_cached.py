# The T = 1 control of freeze-and-cache stage 2: the same cache, schedule and trainable head as
# occlunet1_dsa_tiny_cached.py, without a temporal module (each frame's own features only). What OccluNet1
# gains over it is what attention across frames adds at equal training.
_base_ = ['./occlunet1_dsa_tiny_cached.py']

num_frames = 1
model = dict(temporal_neck=dict(num_frames=num_frames))
train_dataloader = dict(dataset=dict(num_frames=num_frames))
