# gru_regnet_dsa at the *_tiny scale (128 px, 10 epochs, lr 1e-3; not timed): RegNetX-400MF, full width.
_base_ = ['./gru_resnet18_dsa_tiny.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='RegNet',
        arch='regnetx_400mf',
        in_channels=3,
        out_indices=(3,),
        frozen_stages=-1,
        norm_eval=False,
    ),
)
