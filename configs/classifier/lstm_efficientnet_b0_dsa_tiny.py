# lstm_efficientnet_b0_dsa at the *_tiny scale (128 px, 10 epochs, lr 1e-3; not timed).
_base_ = ['./gru_efficientnet_b0_dsa_tiny.py']

model = dict(rnn_type='lstm')
