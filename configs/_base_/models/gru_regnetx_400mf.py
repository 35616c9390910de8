# The sequence classifier with a RegNet feature extractor. The paper used torchvision's RegNetY-16GF
# (Table 1); mmdet provides the RegNetX family: arch='regnetx_400mf' here (384 channels), 'regnetx_12gf' is
# the closest in size to RegNetY-16GF.
_base_ = ['./gru_resnet18.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='RegNet',
        arch='regnetx_400mf',
        in_channels=3,
        out_indices=(3,),
        frozen_stages=-1,
        norm_eval=False,
        # ImageNet weights: init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://regnetx_400mf')
    ),
)
