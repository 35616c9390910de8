# Mittmann et al. 2022: EfficientNet-B0 + bidirectional LSTM (paper settings; the best single-view LAT and
# paired PA + LAT model of its Table 2).
_base_ = ['./gru_efficientnet_b0_dsa.py']

model = dict(rnn_type='lstm')
