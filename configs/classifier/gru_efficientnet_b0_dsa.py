# Mittmann et al. 2022: EfficientNet-B0 + bidirectional GRU (paper settings).
_base_ = [
    '../_base_/models/gru_efficientnet_b0.py',
    '../_base_/datasets/dsa_sequences.py',
    '../_base_/schedules/adamw_plateau_130e.py',
]
