"""Batch DSA samples of shape (T, C, H, W) into (N, T, C, H, W) for OccluNet and the classifier."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.model import BaseDataPreprocessor
from torch import Tensor


@MODELS.register_module()
class SequenceDataPreprocessor(BaseDataPreprocessor):
    """Stack, pad and normalise a list of (T, C, H, W) samples.

    Samples of different length T (whole sequences) are zero-padded at the end of the time axis; each data
    sample's metainfo gets ``num_valid_frames`` (its own T), so models never read the padding. H and W are
    padded at the bottom/right to a multiple of ``pad_size_divisor`` (``batch_input_shape``, ``pad_shape``
    are recorded as in mmdet's ``DetDataPreprocessor``).

    Args:
        mean: subtracted from the pixels (the dataset's frames are in [0, 1]; None keeps them).
        std: divides the pixels after the mean.
        pad_size_divisor: H and W are padded to a multiple of this (32 for YOLOX's strides).
        pad_value: value of the spatial padding (after normalisation).

    Shape:
        data['inputs']: list of N tensors (T_i, C, H_i, W_i) -> (N, max T_i, C, H_pad, W_pad)
    """

    def __init__(
        self,
        mean: float | None = None,
        std: float | None = None,
        pad_size_divisor: int = 32,
        pad_value: float = 0.0,
        non_blocking: bool = False,
    ) -> None:
        super().__init__(non_blocking=non_blocking)
        if std is not None and std <= 0:
            raise ValueError(f'std must be > 0, got {std}')
        if pad_size_divisor < 1:
            raise ValueError(f'pad_size_divisor must be >= 1, got {pad_size_divisor}')
        self.mean = mean
        self.std = std
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs: Sequence[Tensor] | Tensor = data['inputs']
        samples = data.get('data_samples')
        if isinstance(inputs, Tensor) and inputs.dim() == 5:
            inputs = list(inputs)
        if not inputs or any(x.dim() != 4 for x in inputs):
            raise ValueError('SequenceDataPreprocessor expects (T, C, H, W) samples')
        num_t = max(x.shape[0] for x in inputs)
        div = self.pad_size_divisor
        pad_h = -(-max(x.shape[2] for x in inputs) // div) * div
        pad_w = -(-max(x.shape[3] for x in inputs) // div) * div
        batch = []
        for x in inputs:
            x = x.float()
            if self.mean is not None:
                x = x - self.mean
            if self.std is not None:
                x = x / self.std
            t, _, h, w = x.shape
            x = F.pad(x, (0, pad_w - w, 0, pad_h - h), value=self.pad_value)
            if t < num_t:  # zero frames after the end: marked invalid below, never read
                x = torch.cat([x, x.new_zeros((num_t - t, *x.shape[1:]))])
            batch.append(x)
        stacked = torch.stack(batch)  # (N, T, C, H_pad, W_pad)
        if samples is not None:
            for x, sample in zip(inputs, samples):
                sample.set_metainfo(
                    dict(
                        batch_input_shape=(pad_h, pad_w),
                        pad_shape=(pad_h, pad_w),
                        num_valid_frames=x.shape[0],
                    )
                )
        return {'inputs': stacked, 'data_samples': samples}
