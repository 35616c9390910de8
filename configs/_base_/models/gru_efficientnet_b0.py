# The sequence classifier with an EfficientNet-B0 feature extractor (Mittmann et al., Table 1).
_base_ = ['./gru_resnet18.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='EfficientNet',
        arch='b0',
        out_indices=(6,),  # the final 1x1 conv to 1280 channels (torchvision's `features` output)
        drop_path_rate=0.2,  # torchvision efficientnet_b0's stochastic depth
        norm_eval=False,
        # ImageNet weights: init_cfg=dict(type='Pretrained', checkpoint='checkpoints/efficientnet_b0.pth')
    ),
    # the published code pooled EfficientNet to 4x4 (pool_size=4); global average pooling here
)
