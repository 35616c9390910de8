"""Multi-head attention on fused scaled-dot-product attention, a feed-forward block and a pre-norm layer.

Shared by the temporal modules (``TemporalAttention``, ``DividedSpaceTimeAttention``). Tokens are always
``(N, L, D)``: N independent sequences (e.g. one per spatial location, or one per frame window) of L tokens
with D channels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# The fused CUDA kernels behind F.scaled_dot_product_attention (flash, memory-efficient) put the batch on a
# grid axis limited to 2**16 - 1 blocks and fail beyond it ("invalid configuration argument",
# pytorch/pytorch#142228). Per-location temporal attention at P3 has B*H*W sequences (4 windows x 64 x 64 =
# 16384 at 512^2 input; far more for whole-sequence inference), so larger batches are split.
SDPA_MAX_CUDA_BATCH = 2**16 - 1

# Standard deviation of the truncated-normal init of linear weights and learned positional tables, as in
# ViT (Dosovitskiy et al., 2021) and TimeSformer (Bertasius et al., 2021); truncated at +-2 std.
INIT_STD = 0.02


def check_heads(embed_dims: int, num_heads: int, owner: str) -> None:
    """Raise ``ValueError`` unless ``embed_dims`` is a positive multiple of ``num_heads``."""
    if num_heads < 1:
        raise ValueError(f'{owner}: num_heads must be >= 1, got {num_heads}')
    if embed_dims < 1 or embed_dims % num_heads:
        raise ValueError(
            f'{owner}: embed_dims={embed_dims} must be a positive multiple of num_heads={num_heads} '
            f'(each head gets embed_dims // num_heads channels)'
        )


def trunc_normal_init(tensor: Tensor, std: float = INIT_STD) -> None:
    """Fill ``tensor`` in place from N(0, std^2) truncated at +-2 std."""
    nn.init.trunc_normal_(tensor, std=std, a=-2 * std, b=2 * std)


def init_transformer_weights(module: nn.Module, std: float = INIT_STD) -> None:
    """ViT-style init of ``module``: ``nn.Linear`` truncated normal with zero bias, ``nn.LayerNorm`` reset."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            trunc_normal_init(m.weight, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            m.reset_parameters()


class FusedMultiheadAttention(nn.Module):
    """Multi-head attention computed with ``F.scaled_dot_product_attention``.

    Self-attention when ``key_value`` is None; otherwise queries come from ``query`` and keys/values from
    ``key_value`` (used for a subset of query tokens, e.g. only the target frame, or pooled keys/values).
    Query and key/value projections are separate linear layers so both cases cost the same.

    Args:
        embed_dims: token channels D (input and output).
        num_heads: attention heads; ``embed_dims`` must be divisible by it.
        attn_drop: dropout on the attention weights (training only).
        proj_drop: dropout after the output projection.

    Shape:
        query: (N, Lq, D); key_value: (N, Lk, D) or None (= query);
        attn_mask: bool, broadcastable to (N, num_heads, Lq, Lk), True = may attend -> (N, Lq, D).
    """

    def __init__(
        self, embed_dims: int, num_heads: int, attn_drop: float = 0.0, proj_drop: float = 0.0
    ) -> None:
        super().__init__()
        check_heads(embed_dims, num_heads, type(self).__name__)
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.head_dims = embed_dims // num_heads
        self.attn_drop = attn_drop
        self.q = nn.Linear(embed_dims, embed_dims)
        self.kv = nn.Linear(embed_dims, 2 * embed_dims)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(
        self, query: Tensor, key_value: Tensor | None = None, attn_mask: Tensor | None = None
    ) -> Tensor:
        if key_value is None:
            key_value = query
        N, Lq, D = query.shape
        Lk = key_value.shape[1]
        q = self.q(query).view(N, Lq, self.num_heads, self.head_dims).transpose(1, 2)  # (N, h, Lq, d)
        kv = self.kv(key_value).view(N, Lk, 2, self.num_heads, self.head_dims)  # (N, Lk, 2, h, d)
        k, v = kv.permute(2, 0, 3, 1, 4).unbind(0)  # 2 x (N, h, Lk, d)
        out = self._sdpa(q, k, v, attn_mask)  # (N, h, Lq, d)
        out = out.transpose(1, 2).reshape(N, Lq, D)  # (N, Lq, D)
        return self.proj_drop(self.proj(out))

    def _sdpa(self, q: Tensor, k: Tensor, v: Tensor, attn_mask: Tensor | None) -> Tensor:
        dropout_p = self.attn_drop if self.training else 0.0
        max_batch = SDPA_MAX_CUDA_BATCH if q.is_cuda else None
        return batched_sdpa(q, k, v, attn_mask, dropout_p, max_batch)


def batched_sdpa(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    max_batch: int | None = None,
) -> Tensor:
    """``F.scaled_dot_product_attention`` on at most ``max_batch`` sequences per call (None: one call).

    Shape:
        q: (N, h, Lq, d); k, v: (N, h, Lk, d); attn_mask: broadcastable to (N, h, Lq, Lk) -> (N, h, Lq, d).
    """
    N = q.shape[0]
    if max_batch is None or N <= max_batch:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=dropout_p)
    per_sample_mask = attn_mask is not None and attn_mask.dim() == q.dim() and attn_mask.shape[0] == N
    outs = []
    for start in range(0, N, max_batch):
        chunk = slice(start, start + max_batch)
        mask = attn_mask[chunk] if per_sample_mask else attn_mask
        outs.append(F.scaled_dot_product_attention(q[chunk], k[chunk], v[chunk], mask, dropout_p=dropout_p))
    return torch.cat(outs)  # (N, h, Lq, d)


class FeedForward(nn.Module):
    """Two-layer MLP with GELU, applied to the last dimension.

    Args:
        embed_dims: token channels D (input and output).
        hidden_dims: channels of the hidden layer.
        dropout: dropout after the activation and after the output layer.

    Shape:
        x: (..., D) -> (..., D).
    """

    def __init__(self, embed_dims: int, hidden_dims: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Linear(embed_dims, hidden_dims)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dims, embed_dims)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class PreNormTransformerLayer(nn.Module):
    """Pre-norm transformer encoder layer: ``x + attn(norm(x))`` then ``x + ffn(norm(x))``.

    With ``query_index`` only that token is updated (its query attends to all L tokens) and only it is
    returned: the last layer of an encoder whose output is read at one position skips the other L - 1
    queries and feed-forward passes, with the same result at that position.

    Args:
        embed_dims: token channels D.
        num_heads: attention heads.
        mlp_ratio: hidden channels of the feed-forward block as a multiple of D.
        dropout: dropout after the attention projection and in the feed-forward block.
        attn_drop: dropout on the attention weights.

    Shape:
        x: (N, L, D) -> (N, L, D), or (N, 1, D) with ``query_index``.
    """

    def __init__(
        self, embed_dims: int, num_heads: int, mlp_ratio: float, dropout: float = 0.0, attn_drop: float = 0.0
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(embed_dims)
        self.attn = FusedMultiheadAttention(embed_dims, num_heads, attn_drop=attn_drop, proj_drop=dropout)
        self.norm2 = nn.LayerNorm(embed_dims)
        self.ffn = FeedForward(embed_dims, round(embed_dims * mlp_ratio), dropout=dropout)

    def forward(self, x: Tensor, query_index: int | None = None) -> Tensor:
        y = self.norm1(x)
        if query_index is None:
            x = x + self.attn(y)
        else:
            query = slice(query_index, query_index + 1)
            x = x[:, query] + self.attn(y[:, query], key_value=y)  # (N, 1, D)
        return x + self.ffn(self.norm2(x))
