"""What OccluNet's two temporal modules share: channel projections, the learned positional table over the
window's frames, ViT-style init and the residual update of the target frame."""

from __future__ import annotations

import torch
from mmdet.utils import OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor, nn

from ...structures import resolve_target_index
from ..layers import check_heads, init_transformer_weights, trunc_normal_init


class FrameAttentionBase(BaseModule):
    """Base of ``TemporalAttention`` and ``DividedSpaceTimeAttention`` (not registered).

    Builds ``in_proj`` (C -> D, identity when D == C) and ``pos_embed`` (T, D) in ``__init__``; a subclass
    then builds its layers and calls :meth:`_build_output` (``norm`` and ``out_proj`` D -> C, then the init).
    ``forward`` of a subclass checks its input with :meth:`_check_frames` and returns
    :meth:`_residual` of the update, so the module refines the target frame's features.
    """

    def __init__(
        self,
        in_channels: int,
        num_frames: int,
        embed_dims: int | None,
        num_layers: int,
        num_heads: int,
        target_index: int | None,
        return_all_frames: bool,
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        owner = type(self).__name__
        self.target_index = resolve_target_index(num_frames, target_index, owner)
        embed_dims = in_channels if embed_dims is None else embed_dims
        check_heads(embed_dims, num_heads, owner)
        if num_layers < 1:
            raise ValueError(f'{owner}: num_layers must be >= 1, got {num_layers}')
        self.in_channels = in_channels
        self.num_frames = num_frames
        self.embed_dims = embed_dims
        self.return_all_frames = return_all_frames
        self.in_proj = nn.Linear(in_channels, embed_dims) if embed_dims != in_channels else nn.Identity()
        self.pos_embed = nn.Parameter(torch.empty(num_frames, embed_dims))

    def _build_output(self) -> None:
        self.norm = nn.LayerNorm(self.embed_dims)
        self.out_proj = nn.Linear(self.embed_dims, self.in_channels)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        init_transformer_weights(self)
        trunc_normal_init(self.pos_embed)

    def init_weights(self) -> None:
        """Own init (see ``init_cfg``) unless an ``init_cfg`` is given; then mmengine's."""
        if self.init_cfg is None:
            self._reset_parameters()
        super().init_weights()

    def _check_frames(self, x: Tensor) -> None:
        if x.shape[1] != self.num_frames:
            raise ValueError(
                f'{type(self).__name__}: built for num_frames={self.num_frames}, got x of shape '
                f'{tuple(x.shape)}'
            )

    def _residual(self, x: Tensor, update: Tensor) -> Tensor:
        """x (B, T, C, H, W) + update (B, Tq, C, H, W): every frame, or the target frame (B, C, H, W)."""
        if self.return_all_frames:
            return x + update
        return x[:, self.target_index] + update[:, 0]
