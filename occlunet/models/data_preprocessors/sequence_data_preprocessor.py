"""Batch DSA samples of shape (T, C, H, W) into (N, T, C, H, W) for OccluNet and the classifier."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.model import BaseDataPreprocessor
from torch import Tensor

SAMPLE_DIMS = 4  # (T, C, H, W)
BATCH_DIMS = 5  # (N, T, C, H, W)
FEATURE_DIMS = 3  # cached features (T, C, P), see occlunet.datasets.feature_cache


@MODELS.register_module()
class SequenceDataPreprocessor(BaseDataPreprocessor):
    """Stack, pad and normalise a list of (T, C, H, W) samples.

    Each sample is normalised, ``(x - mean) / std``, then padded at the bottom/right to H_pad, W_pad: the
    largest H and W of the batch rounded up to a multiple of ``pad_size_divisor`` (filled with
    ``pad_value``, a value of the normalised input). Samples of different length T (whole sequences) are
    zero-padded at the end of the time axis; each data sample's metainfo gets ``num_valid_frames`` (its own
    T), so models never read those frames, and ``batch_input_shape`` = ``pad_shape`` = (H_pad, W_pad) as in
    mmdet's ``DetDataPreprocessor``. Boxes are unchanged (padding is at the bottom/right).

    Args:
        mean: subtracted from the pixels (the dataset's frames are in [0, 1]); one value for all channels
            or one per channel C; None subtracts nothing.
        std: divides the pixels after the mean; one value or one per channel, each > 0; None divides by 1.
        pad_size_divisor: H and W are padded to a multiple of this (32 for YOLOX's strides).
        pad_value: value of the spatial padding (after normalisation).
        non_blocking: as in mmengine's ``BaseDataPreprocessor``.

    Cached per-frame features (samples (T_i, C, P) from ``PackCachedFeatures``, whose data samples carry
    ``feat_shapes``; freeze-and-cache training) are not pixels: they are only converted to float32 and
    zero-padded in time (``num_valid_frames``); ``batch_input_shape`` is the cache's ``pad_shape``.

    Shape:
        data['inputs']: list of N tensors (T_i, C, H_i, W_i) (or one (N, T, C, H, W) tensor)
        -> (N, max T_i, C, H_pad, W_pad) float32; cached features (T_i, C, P) -> (N, max T_i, C, P).
    """

    def __init__(
        self,
        mean: float | Sequence[float] | None = None,
        std: float | Sequence[float] | None = None,
        pad_size_divisor: int = 32,
        pad_value: float = 0.0,
        non_blocking: bool = False,
    ) -> None:
        super().__init__(non_blocking=non_blocking)
        if pad_size_divisor < 1:
            raise ValueError(
                f'SequenceDataPreprocessor: pad_size_divisor must be >= 1, got {pad_size_divisor}'
            )
        self._normalize = mean is not None or std is not None
        mean_t = torch.as_tensor(0.0 if mean is None else mean, dtype=torch.float32).reshape(-1)
        std_t = torch.as_tensor(1.0 if std is None else std, dtype=torch.float32).reshape(-1)
        if (std_t <= 0).any():
            raise ValueError(f'SequenceDataPreprocessor: std must be > 0, got {std}')
        # (1, C or 1, 1, 1): broadcast over the (T, C, H, W) of one sample
        self.register_buffer('mean', mean_t.view(1, -1, 1, 1), persistent=False)
        self.register_buffer('std', std_t.view(1, -1, 1, 1), persistent=False)
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs: Sequence[Tensor] | Tensor = data['inputs']
        samples = data.get('data_samples')
        if isinstance(inputs, Tensor):
            if inputs.dim() != BATCH_DIMS:
                raise ValueError(
                    'SequenceDataPreprocessor: expects a list of (T, C, H, W) samples or an (N, T, C, H, W) '
                    f'tensor, got a tensor of shape {tuple(inputs.shape)}'
                )
            inputs = list(inputs)
        if len(inputs) == 0:
            raise ValueError('SequenceDataPreprocessor: got an empty batch')
        if all(x.dim() == FEATURE_DIMS for x in inputs) and _cached(samples):
            return {'inputs': self._feature_batch(inputs, samples), 'data_samples': samples}
        bad = [tuple(x.shape) for x in inputs if x.dim() != SAMPLE_DIMS]
        if bad:
            raise ValueError(f'SequenceDataPreprocessor: expects (T, C, H, W) samples, got shapes {bad}')
        channels = {x.shape[1] for x in inputs}
        if len(channels) != 1:
            raise ValueError(f'SequenceDataPreprocessor: samples have different channel counts {channels}')
        num_c = channels.pop()
        for name, stat in (('mean', self.mean), ('std', self.std)):
            if stat.shape[1] not in (1, num_c):
                raise ValueError(
                    f'SequenceDataPreprocessor: {name} has {stat.shape[1]} values for {num_c} input channels'
                )
        if samples is not None and len(samples) != len(inputs):
            raise ValueError(
                f'SequenceDataPreprocessor: {len(inputs)} inputs but {len(samples)} data samples'
            )

        num_t = max(x.shape[0] for x in inputs)
        div = self.pad_size_divisor
        pad_h = -(-max(x.shape[2] for x in inputs) // div) * div
        pad_w = -(-max(x.shape[3] for x in inputs) // div) * div
        batch = []
        for x in inputs:
            x = x.float()
            if self._normalize:
                x = (x - self.mean) / self.std
            t, _, h, w = x.shape
            x = F.pad(x, (0, pad_w - w, 0, pad_h - h), value=self.pad_value)
            if t < num_t:  # zero frames after the end: marked by num_valid_frames, never read
                x = torch.cat([x, x.new_zeros((num_t - t, *x.shape[1:]))])
            batch.append(x)
        stacked = torch.stack(batch)  # (N, T, C, H_pad, W_pad)
        if samples is not None:
            for x, sample in zip(inputs, samples):
                sample.set_metainfo(
                    dict(
                        batch_input_shape=(pad_h, pad_w),
                        pad_shape=(pad_h, pad_w),
                        num_valid_frames=int(x.shape[0]),
                    )
                )
        return {'inputs': stacked, 'data_samples': samples}

    @staticmethod
    def _feature_batch(inputs: Sequence[Tensor], samples: Sequence | None) -> Tensor:
        """Stack cached features, zero frames after each sample's end.

        Shape:
            inputs: N tensors (T_i, C, P) -> (N, max T_i, C, P) float32
        """
        shapes = {tuple(x.shape[1:]) for x in inputs}
        if len(shapes) != 1:
            raise ValueError(f'SequenceDataPreprocessor: cached features of different shapes {shapes}')
        num_t = max(x.shape[0] for x in inputs)
        batch = inputs[0].new_zeros((len(inputs), num_t, *shapes.pop()), dtype=torch.float32)
        for i, x in enumerate(inputs):
            batch[i, : x.shape[0]] = x.float()
        if samples is not None:
            if len(samples) != len(inputs):
                raise ValueError(
                    f'SequenceDataPreprocessor: {len(inputs)} inputs but {len(samples)} data samples'
                )
            for x, sample in zip(inputs, samples):
                pad = tuple(sample.metainfo.get('pad_shape') or sample.metainfo['img_shape'])
                sample.set_metainfo(
                    dict(batch_input_shape=pad, pad_shape=pad, num_valid_frames=int(x.shape[0]))
                )
        return batch


def _cached(samples: Sequence | None) -> bool:
    """True when every data sample describes cached features (``feat_shapes`` in its metainfo)."""
    return bool(samples) and all(s.metainfo.get('feat_shapes') is not None for s in samples)
