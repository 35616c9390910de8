# gru_efficientnet_b0_dsa at the *_tiny scale (128 px, 10 epochs, lr 1e-3): the tiny ResNet-18's data and
# schedule with a full-width EfficientNet-B0 (slower on a CPU than the half-width ResNet-18; not timed).
_base_ = ['./gru_resnet18_dsa_tiny.py']

model = dict(
    backbone=dict(_delete_=True, type='EfficientNet', arch='b0', out_indices=(6,), drop_path_rate=0.2),
)
