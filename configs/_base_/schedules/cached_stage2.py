# Freeze-and-cache stage 2: the tiny SGD schedule for the temporal module + head only. A step on cached
# features costs a fraction of a pixel step (no backbone/PAFPN forward or backward): 1500 steps of 8 clips x 4
# targets = 48 000 targets, about 2.5 passes over the cached training frames and their flipped copies, in
# about half the time stage 1 takes for 9 000 targets.
_base_ = ['./sgd_nesterov_tiny_1500.py']

interval = 1500  # one validation and one checkpoint, at the end
train_cfg = dict(val_interval=interval)
default_hooks = dict(checkpoint=dict(interval=interval), logger=dict(interval=100))
