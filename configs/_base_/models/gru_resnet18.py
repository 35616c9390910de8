# Mittmann et al. 2022: a CNN on each chunk of 3 consecutive frames (stacked as channels), average pooling,
# LayerNorm + LeakyReLU, a bidirectional GRU (3 layers, 512 hidden units, dropout 0.5) over the chunks and
# one logit (thrombus yes/no) from the final hidden states of both directions; BCE loss.
model = dict(
    type='SequenceClassifier',
    # inputs are DSA grey values stretched to [0, 1] by NormalizeIntensity; centre them for the network.
    # pad_size_divisor=1: the classifier has no stride constraint; sequences are padded in time only.
    data_preprocessor=dict(type='SequenceDataPreprocessor', mean=0.5, std=0.25, pad_size_divisor=1),
    backbone=dict(
        type='ResNet',
        depth=18,
        in_channels=3,  # = chunk size of FrameChunkStack
        out_indices=(3,),  # only the last stage feeds the RNN
        frozen_stages=-1,
        norm_eval=False,  # trained end to end, BatchNorm statistics included (paper: weights not frozen)
        # ImageNet weights as in the paper (torchvision resnet18 in mmdet key names), e.g.
        # init_cfg=dict(type='Pretrained', checkpoint='checkpoints/resnet18.pth'); from scratch by default
    ),
    rnn_type='gru',
    hidden_size=512,  # paper
    num_layers=3,  # paper
    dropout=0.5,  # paper
    bidirectional=True,  # paper
    pool_size=1,  # global average pooling; the published code pooled ResNet-18 to 7x7 (pool_size=7)
    in_channels=3,
    pos_weight=None,  # paper: BCE "in its default configuration"
    threshold=0.5,  # pred_label = pred_score >= threshold (the published code's 0.5)
)
