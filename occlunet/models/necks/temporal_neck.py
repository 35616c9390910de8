"""One temporal module per pyramid level, between the per-frame PAFPN and the detection head."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor, nn

from ...structures import check_num_frames, window_frame_indices


@MODELS.register_module()
class TemporalNeck(BaseModule):
    """Fuses the T frames of each window into features of its target frame, level by level.

    Each pyramid level l gets its own temporal module, built from ``temporal_cfg`` with the level's
    ``in_channels`` and the neck's ``num_frames`` filled in, so OccluNet1 and OccluNet2 differ only in
    ``temporal_cfg.type`` (``'TemporalAttention'`` / ``'DividedSpaceTimeAttention'``).

    Input contract of ``forward``: per-frame features of B windows flattened frame-major, (B*T, C, H, W)
    per level, the T frames of window b contiguous at rows ``b*T .. b*T + T - 1`` in temporal order (i.e.
    ``x.view(B, T, C, H, W)``); (B, T, C, H, W) tensors are accepted as they are.

    With ``num_frames == 1`` (the MinIP / single-frame baseline) the neck builds no modules and is the
    identity: the same detector config runs with T = 1 by changing ``num_frames`` only.

    Args:
        in_channels: channels of each level, e.g. ``[128, 256, 512]`` for YOLOX-S.
        num_frames: window length T.
        temporal_cfg: config of the temporal module (``in_channels`` and ``num_frames`` are set by the
            neck), or a list with one config per level.
        embed_dims: attention channels, one int for all levels or one entry per level (None entries
            keep ``temporal_cfg``'s value); None keeps ``temporal_cfg``'s values.
        init_cfg: mmengine init config.

    Shape:
        feats: tuple of (B*T, C_l, H_l, W_l) -> tuple of (B, C_l, H_l, W_l), the target frame's features.
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        num_frames: int,
        temporal_cfg: ConfigType | Sequence[ConfigType],
        embed_dims: int | Sequence[int | None] | None = None,
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        owner = type(self).__name__
        check_num_frames(num_frames, owner)
        self.in_channels = list(in_channels)
        self.num_frames = num_frames
        num_levels = len(self.in_channels)
        level_cfgs = _per_level(temporal_cfg, num_levels, 'temporal_cfg', owner, is_item=_is_cfg)
        level_dims = _per_level(embed_dims, num_levels, 'embed_dims', owner, is_item=lambda v: not _is_seq(v))

        self.temporal_modules = nn.ModuleList()
        self.target_index = 0
        if num_frames == 1:
            return
        for channels, cfg, dims in zip(self.in_channels, level_cfgs, level_dims):
            cfg = {**cfg, 'in_channels': channels, 'num_frames': num_frames}
            if dims is not None:
                cfg['embed_dims'] = dims
            self.temporal_modules.append(MODELS.build(cfg))
        targets = {m.target_index for m in self.temporal_modules}
        if len(targets) != 1:
            raise ValueError(
                f'{owner}: all levels must use the same target frame, got target indices {targets}'
            )
        self.target_index = targets.pop()

    def forward(self, feats: Sequence[Tensor], num_frames: int | None = None) -> tuple[Tensor, ...]:
        """Target-frame features of each window.

        Args:
            feats: per level, (B*T, C, H, W) frame-major (see the class docstring) or (B, T, C, H, W).
            num_frames: T, if the caller wants it checked against the neck's ``num_frames``.
        """
        owner = type(self).__name__
        T = self.num_frames
        if num_frames is not None and num_frames != T:
            raise ValueError(f'{owner}: built for num_frames={T}, called with num_frames={num_frames}')
        if len(feats) != len(self.in_channels):
            raise ValueError(f'{owner}: expected {len(self.in_channels)} levels, got {len(feats)}')
        outs = []
        for level, x in enumerate(feats):
            if T == 1:
                outs.append(x if x.dim() == 4 else x[:, 0])  # identity: the only frame
                continue
            if x.dim() == 4:
                N, C, H, W = x.shape
                if N % T:
                    raise ValueError(
                        f'{owner}: level {level} has {N} frames, not a multiple of num_frames={T}'
                    )
                x = x.view(N // T, T, C, H, W)  # (B, T, C, H, W)
            outs.append(self.temporal_modules[level](x))  # (B, C, H, W)
        return tuple(outs)

    def forward_windows(
        self,
        frame_feats: Sequence[Tensor],
        centres: Sequence[int] | None = None,
        chunk_size: int | None = None,
    ) -> tuple[Tensor, ...]:
        """Target-frame features of the windows around ``centres`` from features cached once per frame.

        For whole-sequence inference: the backbone and PAFPN run once per frame, and each window is
        gathered by indexing the cache (window for frame t: ``clip(t - target_index .. t - target_index +
        T - 1, 0, S - 1)``, i.e. the first/last frame replicated at the sequence ends; with the centre
        target ``clip(t - T//2 .. t + T//2, 0, S - 1)``). The result equals ``forward`` on those windows
        stacked explicitly.

        Args:
            frame_feats: per level, (S, C, H, W): the features of the S frames of one sequence, in order.
            centres: target frames to return, each in ``[0, S)``; None for all S frames.
            chunk_size: windows per temporal-module call (bounds memory); None for all at once.

        Returns:
            Per level, (len(centres), C, H, W).
        """
        if len(frame_feats) == 0:
            raise ValueError(f'{type(self).__name__}: expected {len(self.in_channels)} levels, got 0')
        S = frame_feats[0].shape[0]
        device = frame_feats[0].device
        index = window_frame_indices(S, self.num_frames, self.target_index, centres, device)  # (K, T)
        return self.forward_index(frame_feats, index, chunk_size=chunk_size, gather_all=centres is None)

    def forward_index(
        self,
        frame_feats: Sequence[Tensor],
        index: Tensor,
        chunk_size: int | None = None,
        gather_all: bool = False,
    ) -> tuple[Tensor, ...]:
        """Target-frame features of windows given as rows of frame indices into cached features.

        Row k of ``index`` lists the T frames of window k (target at ``target_index``); the frames may come
        from several clips concatenated along the first axis (training clips, see ``OccluNet.loss``).

        Args:
            frame_feats: per level, (S, C, H, W) cached per-frame features.
            index: long (K, T), entries in ``[0, S)``.
            chunk_size: windows per temporal-module call (bounds memory); None for all at once.
            gather_all: the rows are exactly frames 0..S-1 in order for T == 1 (skips the gather).

        Returns:
            Per level, (K, C, H, W).
        """
        owner = type(self).__name__
        if len(frame_feats) != len(self.in_channels):
            raise ValueError(f'{owner}: expected {len(self.in_channels)} levels, got {len(frame_feats)}')
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f'{owner}: chunk_size must be >= 1 or None, got {chunk_size}')
        if index.dim() != 2 or index.shape[1] != self.num_frames:
            raise ValueError(f'{owner}: index must be (K, {self.num_frames}), got {tuple(index.shape)}')
        K, T = index.shape
        if T == 1:
            return tuple(x if gather_all else x[index[:, 0]] for x in frame_feats)
        step = K if chunk_size is None else chunk_size
        outs = []
        for x, module in zip(frame_feats, self.temporal_modules):
            out = None
            for start in range(0, K, step):
                ids = index[start : start + step]  # (k, T)
                # indexing keeps each frame's memory format (index_select makes channels-last NCHW): the
                # temporal modules' token layouts are then cheap permutes of it
                windows = x[ids.flatten()].view(len(ids), T, *x.shape[1:])  # (k, T, C, H, W)
                fused = module(windows)  # (k, C, H, W)
                if step >= K:
                    out = fused
                    break
                if out is None:
                    out = fused.new_empty((K, *fused.shape[1:]))  # (K, C, H, W)
                out[start : start + len(ids)] = fused
            outs.append(out)
        return tuple(outs)


def _is_cfg(value: object) -> bool:
    return isinstance(value, dict)


def _is_seq(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _per_level(
    value: object, num_levels: int, name: str, owner: str, is_item: Callable[[object], bool]
) -> list:
    """``value`` repeated for every level, or checked to have one entry per level."""
    if is_item(value):
        return [value] * num_levels
    if not _is_seq(value) or len(value) != num_levels:
        raise ValueError(
            f'{owner}: {name} must be one value or a list of {num_levels} (one per level), got {value!r}'
        )
    return list(value)
