"""OccluNet1's temporal module: self-attention across the frames of a window at each spatial location."""

from __future__ import annotations

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig
from torch import Tensor, nn

from ..layers import PreNormTransformerLayer
from .frame_attention import FrameAttentionBase


@MODELS.register_module()
class TemporalAttention(FrameAttentionBase):
    """Self-attention across frames at each spatial location (OccluNet1).

    Every location (h, w) of one pyramid level is a sequence of T tokens, one per frame. The channels are
    projected to ``embed_dims`` (D), a learned positional embedding over frame positions is added, and a
    stack of pre-norm transformer encoder layers attends across the T frames; nothing mixes locations. The
    target frame's token is normalised, projected back to C and added to the target frame's input features:

        out = x[:, t] + out_proj(norm(encoder(in_proj(x) + pos_embed))[:, t])

    so the module refines the target frame's PAFPN features rather than replacing them. The output
    projection is a linear layer even when D == C: it sets the scale of the update. The last encoder layer
    computes only the target frame's query and feed-forward pass (the other frames' outputs are unused).

    Args:
        in_channels: feature channels C of one pyramid level.
        num_frames: window length T; sets the size of the learned positional table.
        embed_dims: attention channels D; None for C (no input projection), else linear projections
            C -> D in and D -> C out (cheaper attention at wide levels).
        num_layers: stacked pre-norm transformer encoder layers.
        num_heads: attention heads; D must be divisible by it.
        mlp_ratio: hidden channels of each feed-forward block as a multiple of D.
        dropout: dropout after attention and in the feed-forward blocks.
        attn_drop: dropout on the attention weights.
        target_index: the target frame's position in the window; None for the centre frame T // 2,
            negative values count from the end (-1: newest frame of a causal window).
        return_all_frames: return every frame's refined features (B, T, C, H, W) instead of the target's.
        init_cfg: mmengine init config; None for the ViT-style init (truncated normal, std
            ``INIT_STD``) of the linear layers and the positional table.

    Shape:
        x: (B, T, C, H, W) -> (B, C, H, W), the refined features of the target frame
        ((B, T, C, H, W) with ``return_all_frames``).
    """

    def __init__(
        self,
        in_channels: int,
        num_frames: int,
        embed_dims: int | None = None,
        num_layers: int = 1,
        num_heads: int = 4,
        mlp_ratio: float = 2.0,
        dropout: float = 0.0,
        attn_drop: float = 0.0,
        target_index: int | None = None,
        return_all_frames: bool = False,
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(
            in_channels,
            num_frames,
            embed_dims,
            num_layers,
            num_heads,
            target_index,
            return_all_frames,
            init_cfg,
        )
        self.layers = nn.ModuleList(
            PreNormTransformerLayer(
                self.embed_dims, num_heads, mlp_ratio, dropout=dropout, attn_drop=attn_drop
            )
            for _ in range(num_layers)
        )
        self._build_output()

    def forward(self, x: Tensor) -> Tensor:
        self._check_frames(x)
        B, T, C, H, W = x.shape
        tokens = self.in_proj(x.permute(0, 3, 4, 1, 2)) + self.pos_embed  # (B, H, W, T, D)
        tokens = tokens.reshape(B * H * W, T, self.embed_dims)  # (BHW, T, D)
        for layer in self.layers[:-1]:
            tokens = layer(tokens)
        query_index = None if self.return_all_frames else self.target_index
        tokens = self.layers[-1](tokens, query_index=query_index)  # (BHW, Tq, D), Tq = T or 1
        update = self.out_proj(self.norm(tokens))  # (BHW, Tq, C)
        update = update.view(B, H, W, -1, C).permute(0, 3, 4, 1, 2)  # (B, Tq, C, H, W)
        return self._residual(x, update)
