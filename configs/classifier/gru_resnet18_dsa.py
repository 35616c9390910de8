# Mittmann et al. 2022: ResNet-18 + bidirectional GRU, thrombus yes/no per DSA sequence (paper settings).
_base_ = [
    '../_base_/models/gru_resnet18.py',
    '../_base_/datasets/dsa_sequences.py',
    '../_base_/schedules/adamw_plateau_130e.py',
]
