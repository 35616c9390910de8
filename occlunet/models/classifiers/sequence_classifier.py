"""Thrombus yes/no classification of whole DSA sequences: a CNN per 3-frame chunk + a bidirectional RNN."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModel
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

RNN_TYPES = {'gru': nn.GRU, 'lstm': nn.LSTM}
PROBE_SIZE = 64  # side of the dummy chunk that measures the backbone's output width (stride 32 -> 2x2)


@MODELS.register_module()
class SequenceClassifier(BaseModel):
    """CNN feature extractor + bidirectional GRU/LSTM over a sequence of frame chunks (Mittmann et al. 2022).

    Each sample is a whole DSA sequence cut into T' chunks of ``in_channels`` consecutive frames stacked as
    channels (``FrameChunkStack``: the last frame repeated to fill the last chunk). The chunks of all
    sequences of a batch run through the backbone in one pass; the last backbone output is average-pooled
    to ``pool_size`` x ``pool_size`` and flattened, then LayerNorm + LeakyReLU (the paper's "normalization
    layer and a LeakyReLU activation ... on the features"). The feature sequences, of different lengths,
    are packed (``pack_padded_sequence``), so the RNN never reads padding; the logit is a linear map of the
    final hidden states h_n of both directions of the last RNN layer: the forward direction has read the
    whole sequence up to its last chunk, the backward one down to its first. (The published code read
    the output at the last time step, where the backward direction has seen one chunk only.)

    Training: binary cross-entropy with logits against ``gt_label`` (1 = thrombus / occlusion present),
    optionally with ``pos_weight``. :meth:`predict` adds to every data sample:

    - ``pred_score``: float tensor (1,), the probability of a thrombus, ``sigmoid(logit)``;
    - ``pred_label``: int64 tensor (1,), 1 if ``pred_score >= threshold`` else 0.

    Args:
        backbone: any mmdet backbone config (ResNet, EfficientNet, RegNet, CSPDarknet, ...) taking
            ``in_channels``-channel images; only its last output is used, so set ``out_indices`` to its
            last stage. Pretrained weights: ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=...)``
            on the backbone, or on the classifier for a whole classifier checkpoint.
        rnn_type: ``'gru'`` or ``'lstm'``.
        hidden_size: RNN hidden units per direction (paper: 512).
        num_layers: stacked RNN layers (paper: 3).
        dropout: dropout between RNN layers (paper: 0.5).
        bidirectional: bidirectional RNN (paper: True).
        pool_size: side of the adaptive average pooling of the backbone output; 1 is global average
            pooling. The published code pooled to 7x7 (ResNet18) or 4x4 (EfficientNet) and flattened.
        feat_channels: channels of the backbone's last output; None measures them with a dummy forward.
        in_channels: frames per chunk = image channels (paper: 3).
        negative_slope: slope of the LeakyReLU (PyTorch's default; the paper gives none).
        pos_weight: weight of the positive class in the BCE loss; None: 1.
        threshold: probability at or above which ``pred_label`` is 1.
        data_preprocessor: e.g. ``SequenceDataPreprocessor`` (pads the time axis, sets ``num_valid_frames``).
        init_cfg: mmengine init config, e.g. ``dict(type='Pretrained', checkpoint='classifier.pth')``.

    Shape:
        inputs: (N, T'max, C, H, W) padded in time, each sample's length in its metainfo
        ``num_valid_frames`` (else T'max); or a list of N tensors (T'_i, C, H, W). -> logits (N,).
    """

    def __init__(
        self,
        backbone: ConfigType,
        rnn_type: str = 'gru',
        hidden_size: int = 512,
        num_layers: int = 3,
        dropout: float = 0.5,
        bidirectional: bool = True,
        pool_size: int = 1,
        feat_channels: int | None = None,
        in_channels: int = 3,
        negative_slope: float = 0.01,
        pos_weight: float | None = None,
        threshold: float = 0.5,
        data_preprocessor: OptConfigType = None,
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        name = self.__class__.__name__
        if rnn_type not in RNN_TYPES:
            raise ValueError(f'{name}: rnn_type must be one of {sorted(RNN_TYPES)}, got {rnn_type!r}')
        sizes = dict(hidden_size=hidden_size, num_layers=num_layers, pool_size=pool_size)
        for key, value in sizes.items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'{name}: {key} must be a positive integer, got {value!r}')
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f'{name}: dropout must be in [0, 1), got {dropout}')
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f'{name}: threshold must be in [0, 1], got {threshold}')
        if pos_weight is not None and not pos_weight > 0:
            raise ValueError(f'{name}: pos_weight must be > 0, got {pos_weight}')
        self.backbone = MODELS.build(backbone)
        self.in_channels = in_channels
        self.pool = nn.AdaptiveAvgPool2d(pool_size)
        if feat_channels is None:
            feat_channels = self._probe_channels()
        self.feat_dims = feat_channels * pool_size * pool_size
        self.feat_norm = nn.LayerNorm(self.feat_dims)
        self.act = nn.LeakyReLU(negative_slope)
        self.rnn_type = rnn_type
        self.rnn = RNN_TYPES[rnn_type](
            input_size=self.feat_dims,
            hidden_size=hidden_size,
            num_layers=num_layers,
            dropout=dropout if num_layers > 1 else 0.0,  # torch applies it between layers only
            bidirectional=bidirectional,
            batch_first=True,
        )
        self.num_directions = 2 if bidirectional else 1
        self.fc = nn.Linear(hidden_size * self.num_directions, 1)
        self.threshold = float(threshold)
        weight = None if pos_weight is None else torch.tensor([float(pos_weight)])
        self.register_buffer('pos_weight', weight, persistent=False)

    @torch.no_grad()
    def _probe_channels(self) -> int:
        """Channels of the backbone's last output, from one dummy chunk (the backbone's mode is kept)."""
        mode = self.backbone.training
        self.backbone.eval()  # no BatchNorm statistics updated by the dummy
        out = self.backbone(torch.zeros(1, self.in_channels, PROBE_SIZE, PROBE_SIZE))
        self.backbone.train(mode)
        return int(self._last(out).shape[1])

    @staticmethod
    def _last(out: Tensor | Sequence[Tensor]) -> Tensor:
        return out if isinstance(out, Tensor) else out[-1]

    def chunk_features(self, chunks: Tensor) -> Tensor:
        """Backbone -> average pooling -> LayerNorm -> LeakyReLU, per chunk.

        Shape:
            chunks: (M, C, H, W) -> (M, D), D = ``feat_dims``.
        """
        feats = self.pool(self._last(self.backbone(chunks))).flatten(1)  # (M, C_out * pool_size**2)
        return self.act(self.feat_norm(feats))

    def split_sequences(
        self, inputs: Tensor | Sequence[Tensor], data_samples: SampleList | None
    ) -> list[Tensor]:
        """The valid chunks of each sample: padding frames past ``num_valid_frames`` are dropped here.

        Shape:
            inputs: (N, T'max, C, H, W) or N x (T'_i, C, H, W) -> N x (T'_i, C, H, W)
        """
        if isinstance(inputs, Tensor):
            if inputs.dim() != 5:
                name, shape = self.__class__.__name__, tuple(inputs.shape)
                raise ValueError(f'{name}: expected sequences (N, T, C, H, W), got {shape}')
            lengths = [inputs.shape[1]] * inputs.shape[0]
            if data_samples is not None:
                lengths = [s.metainfo.get('num_valid_frames', inputs.shape[1]) for s in data_samples]
            sequences = [x[:n] for x, n in zip(inputs, lengths)]
        else:
            sequences = list(inputs)
        bad = [tuple(x.shape) for x in sequences if x.dim() != 4 or x.shape[0] < 1]
        if bad:
            raise ValueError(f'{self.__class__.__name__}: expected sequences (T, C, H, W), T >= 1, got {bad}')
        return sequences

    def sequence_logits(self, sequences: Sequence[Tensor]) -> Tensor:
        """One logit per sequence; all chunks go through the backbone in one pass.

        Shape:
            sequences: N x (T'_i, C, H, W) -> (N,)
        """
        lengths = [len(x) for x in sequences]
        feats = self.chunk_features(torch.cat(list(sequences)))  # (sum T'_i, D)
        padded = pad_sequence(feats.split(lengths), batch_first=True)  # (N, T'max, D)
        packed = pack_padded_sequence(
            padded, torch.tensor(lengths), batch_first=True, enforce_sorted=False
        )  # padding never enters the RNN
        _, h_n = self.rnn(packed)  # GRU: h_n; LSTM: (h_n, c_n); h_n (layers * dirs, N, hidden), input order
        if self.rnn_type == 'lstm':
            h_n = h_n[0]
        last = h_n[-self.num_directions :]  # (dirs, N, hidden): both directions of the last layer
        last = last.transpose(0, 1).flatten(1)  # (N, dirs * hidden)
        return self.fc(last).squeeze(-1)  # (N,)

    def forward(
        self,
        inputs: Tensor | Sequence[Tensor],
        data_samples: SampleList | None = None,
        mode: str = 'tensor',
    ) -> dict | SampleList | Tensor:
        """mmengine's three modes: ``'loss'`` -> dict of losses, ``'predict'`` -> data samples with
        ``pred_score`` / ``pred_label``, ``'tensor'`` -> logits (N,)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.sequence_logits(self.split_sequences(inputs, data_samples))
        raise RuntimeError(f'{self.__class__.__name__}: invalid mode {mode!r}; use loss, predict or tensor')

    def loss(self, inputs: Tensor | Sequence[Tensor], data_samples: SampleList) -> dict[str, Tensor]:
        """BCE with logits of the sequence labels (``gt_label``)."""
        logits = self.sequence_logits(self.split_sequences(inputs, data_samples))  # (N,)
        targets = torch.cat([s.gt_label.reshape(1) for s in data_samples]).to(logits)  # (N,)
        loss = F.binary_cross_entropy_with_logits(logits.float(), targets.float(), pos_weight=self.pos_weight)
        return {'loss_cls': loss}

    @torch.no_grad()
    def predict(self, inputs: Tensor | Sequence[Tensor], data_samples: SampleList) -> SampleList:
        """Set ``pred_score`` (probability of a thrombus) and ``pred_label`` (at ``threshold``)."""
        scores = self.sequence_logits(self.split_sequences(inputs, data_samples)).float().sigmoid()  # (N,)
        for score, sample in zip(scores, data_samples):
            sample.set_field(score.reshape(1), 'pred_score')
            sample.set_field((score >= self.threshold).long().reshape(1), 'pred_label')
        return data_samples
