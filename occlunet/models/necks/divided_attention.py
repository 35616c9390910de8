"""OccluNet2's temporal module: TimeSformer divided space-time attention on one pyramid level."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..layers import FeedForward, FusedMultiheadAttention, check_heads
from .frame_attention import FrameAttentionBase

SPATIAL_MODES = ('window', 'pooled', 'global')


class DividedSpaceTimeBlock(BaseModule):
    """One divided space-time block (TimeSformer, Bertasius et al. 2021) on a grid of frame tokens.

    Three pre-norm residual sub-layers, applied in order:

    1. temporal: ``x + temporal_attn(norm(x))``, attention across the T frames at each location; the
       output projection ``temporal_attn.proj`` is zero-initialised (as ``temporal_fc`` in MMAction2), so
       a fresh block's temporal sub-layer returns its input exactly;
    2. spatial: ``x + spatial_attn(norm(x))``, attention within each frame (see ``spatial_mode``);
    3. feed-forward: ``x + ffn(norm(x))``, per token.

    A fresh block is therefore a per-frame spatial transformer block: frame t's output depends on frame t
    only, and temporal mixing is learned from zero. ``init_weights`` re-zeroes the temporal projection.

    Args:
        embed_dims: token channels D.
        num_heads: attention heads of both attentions; D must be divisible by it.
        mlp_ratio: hidden channels of the feed-forward block as a multiple of D.
        spatial_mode: how tokens of one frame attend to each other:
            ``'window'``: within non-overlapping ``window_size`` x ``window_size`` windows (Swin-style,
            no shift); H and W are padded up to a multiple of the window and padded keys are masked;
            a window never exceeds the frame (a 4x4 level is one 4x4 window). Cost linear in H*W.
            ``'pooled'``: every location queries keys/values from the frame average-pooled to
            ``pool_size`` x ``pool_size`` (spatial-reduction attention as in PVT): global context at
            cost H*W*pool_size^2.
            ``'global'``: full attention over all H*W locations, cost (H*W)^2 (fine at P4/P5).
        window_size: window side for ``'window'``.
        pool_size: side of the pooled key/value grid for ``'pooled'`` (capped at H, W).
        dropout: dropout after each attention and in the feed-forward block.
        attn_drop: dropout on the attention weights.
        init_cfg: mmengine init config.

    Shape:
        x: (B, T, H, W, D) -> (B, T, H, W, D); with ``query_frame`` only that frame is updated and
        returned, (B, 1, H, W, D) (its temporal queries still attend to all T frames).
    """

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        mlp_ratio: float,
        spatial_mode: str = 'window',
        window_size: int = 8,
        pool_size: int = 8,
        dropout: float = 0.0,
        attn_drop: float = 0.0,
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        owner = type(self).__name__
        check_heads(embed_dims, num_heads, owner)
        if spatial_mode not in SPATIAL_MODES:
            raise ValueError(f'{owner}: spatial_mode={spatial_mode!r} is not one of {SPATIAL_MODES}')
        if window_size < 1 or pool_size < 1:
            raise ValueError(
                f'{owner}: window_size and pool_size must be >= 1, got {window_size}, {pool_size}'
            )
        self.spatial_mode = spatial_mode
        self.window_size = window_size
        self.pool_size = pool_size

        self.temporal_norm = nn.LayerNorm(embed_dims)
        self.temporal_attn = FusedMultiheadAttention(
            embed_dims, num_heads, attn_drop=attn_drop, proj_drop=dropout
        )
        self.spatial_norm = nn.LayerNorm(embed_dims)
        self.spatial_attn = FusedMultiheadAttention(
            embed_dims, num_heads, attn_drop=attn_drop, proj_drop=dropout
        )
        self.ffn_norm = nn.LayerNorm(embed_dims)
        self.ffn = FeedForward(embed_dims, round(embed_dims * mlp_ratio), dropout=dropout)
        self.zero_init_temporal_proj()

    def zero_init_temporal_proj(self) -> None:
        """Zero the temporal output projection: the temporal sub-layer becomes the identity."""
        nn.init.zeros_(self.temporal_attn.proj.weight)
        nn.init.zeros_(self.temporal_attn.proj.bias)

    def init_weights(self) -> None:
        super().init_weights()
        self.zero_init_temporal_proj()

    def forward(self, x: Tensor, query_frame: int | None = None) -> Tensor:
        x = self.forward_temporal(x, query_frame)
        x = self.forward_spatial(x)
        return x + self.ffn(self.ffn_norm(x))

    def forward_temporal(self, x: Tensor, query_frame: int | None = None) -> Tensor:
        """Temporal sub-layer; (B, T, H, W, D) -> (B, T or 1, H, W, D)."""
        B, T, H, W, D = x.shape
        y = self.temporal_norm(x.permute(0, 2, 3, 1, 4)).reshape(B * H * W, T, D)  # (BHW, T, D)
        if query_frame is None:
            identity = x
            update = self.temporal_attn(y)  # (BHW, T, D)
        else:
            frame = slice(query_frame, query_frame + 1)
            identity = x[:, frame]  # (B, 1, H, W, D)
            update = self.temporal_attn(y[:, frame], key_value=y)  # (BHW, 1, D)
        return identity + update.view(B, H, W, -1, D).permute(0, 3, 1, 2, 4)  # (B, Tq, H, W, D)

    def forward_spatial(self, x: Tensor) -> Tensor:
        """Spatial sub-layer, each frame on its own; (B, T, H, W, D) -> (B, T, H, W, D)."""
        B, T, H, W, D = x.shape
        y = self.spatial_norm(x).reshape(B * T, H, W, D)  # (BT, H, W, D)
        if self.spatial_mode == 'window':
            update = self._window_attention(y)  # (BT, H, W, D)
        elif self.spatial_mode == 'pooled':
            pooled = F.adaptive_avg_pool2d(
                y.permute(0, 3, 1, 2), (min(self.pool_size, H), min(self.pool_size, W))
            )
            pooled = pooled.flatten(2).transpose(1, 2)  # (BT, P, D), P = pooled locations
            update = self.spatial_attn(y.reshape(B * T, H * W, D), key_value=pooled)  # (BT, HW, D)
        else:
            update = self.spatial_attn(y.reshape(B * T, H * W, D))  # (BT, HW, D)
        return x + update.reshape(B, T, H, W, D)

    def _window_attention(self, y: Tensor) -> Tensor:
        """Attention within non-overlapping windows, padded keys masked; (N, H, W, D) -> (N, H, W, D)."""
        N, H, W, D = y.shape
        wh, ww = min(self.window_size, H), min(self.window_size, W)
        pad_h, pad_w = -H % wh, -W % ww
        if pad_h or pad_w:
            y = F.pad(y, (0, 0, 0, pad_w, 0, pad_h))  # (N, Hp, Wp, D)
        nh, nw = (H + pad_h) // wh, (W + pad_w) // ww
        windows = y.view(N, nh, wh, nw, ww, D).permute(0, 1, 3, 2, 4, 5)  # (N, nh, nw, wh, ww, D)
        windows = windows.reshape(N * nh * nw, wh * ww, D)  # (N nW, wh ww, D)
        mask = None
        if pad_h or pad_w:
            valid = torch.zeros(H + pad_h, W + pad_w, dtype=torch.bool, device=y.device)
            valid[:H, :W] = True
            mask = valid.view(nh, wh, nw, ww).transpose(1, 2).reshape(1, nh * nw, 1, 1, wh * ww)
            mask = mask.expand(N, -1, -1, -1, -1).reshape(N * nh * nw, 1, 1, wh * ww)  # (N nW, 1, 1, wh ww)
        out = self.spatial_attn(windows, attn_mask=mask)  # (N nW, wh ww, D)
        out = out.view(N, nh, nw, wh, ww, D).permute(0, 1, 3, 2, 4, 5)  # (N, nh, wh, nw, ww, D)
        out = out.reshape(N, nh * wh, nw * ww, D)  # (N, Hp, Wp, D)
        return out[:, :H, :W]


@MODELS.register_module()
class DividedSpaceTimeAttention(FrameAttentionBase):
    """Divided space-time attention over the frames of a window (OccluNet2, after TimeSformer).

    The features of each frame are projected to ``embed_dims`` (D) tokens, one per location. A learned
    temporal positional embedding (T, D) marks the frame, and a conditional positional encoding (CPE,
    Chu et al. 2023: a depthwise ``cpe_kernel_size`` convolution added once as a residual, per frame) gives
    the spatial position; CPE works at any H x W, so no table is tied to the input size, and window
    attention keeps a sense of position within and across windows. Then ``num_layers``
    ``DividedSpaceTimeBlock``s alternate temporal ("when") and spatial ("where") attention. The target
    frame's tokens are normalised, projected back to C and added to its input features:

        out = x[:, t] + out_proj(norm(blocks(cpe(in_proj(x) + pos_embed)))[:, t])

    The last block updates only the target frame (its temporal queries still see all T frames): spatial
    attention and feed-forward work within a frame, so the other frames' outputs would be unused.
    A fresh module mixes no information across frames (zero-initialised temporal projections, see
    ``DividedSpaceTimeBlock``); it learns to.

    Args:
        in_channels: feature channels C of one pyramid level.
        num_frames: window length T; sets the size of the learned temporal positional table.
        embed_dims: attention channels D; None for C (no input projection), else linear projections
            C -> D in and D -> C out.
        num_layers: stacked divided space-time blocks.
        num_heads: attention heads; D must be divisible by it.
        mlp_ratio: hidden channels of each feed-forward block as a multiple of D.
        spatial_mode: spatial attention within a frame, ``'window'`` (default: local, linear cost at
            P3's 64 x 64 locations), ``'pooled'`` (global context from a pooled grid) or ``'global'``;
            see ``DividedSpaceTimeBlock``.
        window_size: window side for ``'window'``.
        pool_size: side of the pooled key/value grid for ``'pooled'``.
        dropout: dropout after attention and in the feed-forward blocks.
        attn_drop: dropout on the attention weights.
        cpe_kernel_size: kernel of the depthwise convolutional positional encoding.
        target_index: the target frame's position in the window; None for the centre frame T // 2,
            negative values count from the end.
        return_all_frames: return every frame's refined features (B, T, C, H, W).
        init_cfg: mmengine init config; None for the ViT-style init (truncated normal, std ``INIT_STD``)
            of the linear layers and the positional table, temporal projections zero.

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
        spatial_mode: str = 'window',
        window_size: int = 8,
        pool_size: int = 8,
        dropout: float = 0.0,
        attn_drop: float = 0.0,
        cpe_kernel_size: int = 3,
        target_index: int | None = None,
        return_all_frames: bool = False,
        init_cfg: OptMultiConfig = None,
    ) -> None:
        if cpe_kernel_size < 1 or cpe_kernel_size % 2 == 0:
            raise ValueError(
                f'{type(self).__name__}: cpe_kernel_size must be odd and positive, got {cpe_kernel_size}'
            )
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
        embed_dims = self.embed_dims
        self.spatial_pos_conv = nn.Conv2d(
            embed_dims, embed_dims, cpe_kernel_size, padding=cpe_kernel_size // 2, groups=embed_dims
        )
        self.blocks = nn.ModuleList(
            DividedSpaceTimeBlock(
                embed_dims,
                num_heads,
                mlp_ratio,
                spatial_mode=spatial_mode,
                window_size=window_size,
                pool_size=pool_size,
                dropout=dropout,
                attn_drop=attn_drop,
            )
            for _ in range(num_layers)
        )
        self._build_output()

    def _reset_parameters(self) -> None:
        super()._reset_parameters()
        self.spatial_pos_conv.reset_parameters()
        for block in self.blocks:
            block.zero_init_temporal_proj()

    def forward(self, x: Tensor) -> Tensor:
        self._check_frames(x)
        B, T, C, H, W = x.shape
        D = self.embed_dims
        tokens = self.in_proj(x.permute(0, 1, 3, 4, 2)) + self.pos_embed.view(T, 1, 1, D)  # (B, T, H, W, D)
        grid = tokens.reshape(B * T, H, W, D).permute(0, 3, 1, 2)  # (BT, D, H, W), channels-last memory
        tokens = tokens + self.spatial_pos_conv(grid).permute(0, 2, 3, 1).reshape(B, T, H, W, D)
        for block in self.blocks[:-1]:
            tokens = block(tokens)
        query_frame = None if self.return_all_frames else self.target_index
        tokens = self.blocks[-1](tokens, query_frame=query_frame)  # (B, Tq, H, W, D), Tq = T or 1
        update = self.out_proj(self.norm(tokens)).permute(0, 1, 4, 2, 3)  # (B, Tq, C, H, W)
        return self._residual(x, update)
