# Mittmann et al. 2022: RegNet + bidirectional GRU (paper settings; RegNetX-400MF instead of the paper's
# RegNetY-16GF, which mmdet does not provide).
_base_ = [
    '../_base_/models/gru_regnetx_400mf.py',
    '../_base_/datasets/dsa_sequences.py',
    '../_base_/schedules/adamw_plateau_130e.py',
]
