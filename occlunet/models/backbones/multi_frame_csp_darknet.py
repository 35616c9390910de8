"""CSPDarknet whose stem takes a stack of neighbouring grey frames as channels (OccluNet)."""

from __future__ import annotations

from mmdet.models.backbones import CSPDarknet
from mmdet.models.backbones.csp_darknet import Focus
from mmdet.registry import MODELS
from torch import Tensor

# Channels per Focus patch of the stem of a COCO-pretrained YOLOX (RGB).
RGB_CHANNELS = 3
# mmdet's Focus stem concatenates 4 space-to-depth patches of the input channels, patch-major:
# [top-left (C), bottom-left (C), top-right (C), bottom-right (C)] -> 4 * C channels.
FOCUS_PATCHES = 4


@MODELS.register_module()
class MultiFrameCSPDarknet(CSPDarknet):
    """mmdet's ``CSPDarknet`` with an ``in_frames``-channel stem: frame t and its neighbours as channels.

    YOLOX-S widths and depths by default (``deepen_factor=0.33``, ``widen_factor=0.5``): 4.21 M parameters,
    as mmdet's CSPDarknet-S (the stem of 3 frames has as many weights as the RGB stem); 9.3 M for OccluNet1
    with the PAFPN, temporal neck and head of ``configs/_base_/models/occlunet1_yolox_s.py``.

    Only the stem differs from mmdet's: ``Focus(in_frames, ...)``, whose 3x3 convolution sees
    ``4 * in_frames`` channels (the 4 space-to-depth patches of the ``in_frames`` channels, patch-major).

    Pretrained weights: ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')`` loads a
    COCO YOLOX checkpoint (the prefix selects the backbone of a full detector checkpoint; leave it out for a
    backbone-only checkpoint). Every weight but the stem kernel loads unchanged. The stem kernel
    ``W`` of shape (O, 4 * c, k, k) over c source channels per patch is mapped by :func:`adapt_stem_kernel`:

        W'[o, p, f] = (c / in_frames) * mean_i W[o, p, i]   for patch p, frame f in [0, in_frames)

    i.e. averaged over the source channels (colour) and replicated over the ``in_frames`` channels, scaled
    so that a grey input whose frames are all equal gives exactly the stem output the RGB model gives on
    that grey image replicated to R = G = B (and so the whole backbone's output: the BN statistics of the
    checkpoint stay valid). When it is applied:

    - under the Pretrained ``init_cfg`` of this backbone (``init_weights``): whenever the checkpoint's stem
      has ``4 * pretrained_in_channels`` input channels, also when ``in_frames == pretrained_in_channels``
      (3: same shape as RGB, but the kernel is still averaged: colour has nothing to do with time); set
      ``pretrained_in_channels=None`` to load a checkpoint of this backbone with Pretrained unchanged;
    - in any other ``load_state_dict`` (``load_from``, resume, a detector-level Pretrained): only when the
      checkpoint's stem has a different channel count from ``4 * in_frames``; equal shapes load unchanged,
      so trained OccluNet checkpoints round-trip exactly.

    Args:
        in_frames: channels of the input, i.e. the frames of a neighbour stack (2k + 1).
        deepen_factor: depth multiplier of the CSP layers (YOLOX-S: 0.33).
        widen_factor: width multiplier (YOLOX-S: 0.5).
        pretrained_in_channels: channels per Focus patch of the checkpoint the Pretrained ``init_cfg`` loads
            (3 for COCO RGB YOLOX); None loads a same-shaped stem unchanged.
        **kwargs: the remaining ``CSPDarknet`` arguments (``out_indices``, ``norm_cfg``, ``act_cfg``,
            ``init_cfg``, ...).

    Shape:
        x: (B, in_frames, H, W), H and W even -> tuple of (B, C_i, H / 2^(i+1), W / 2^(i+1)) for i in
        out_indices.
    """

    def __init__(
        self,
        in_frames: int = 3,
        deepen_factor: float = 0.33,
        widen_factor: float = 0.5,
        pretrained_in_channels: int | None = RGB_CHANNELS,
        **kwargs,
    ) -> None:
        if in_frames < 1:
            raise ValueError(f'MultiFrameCSPDarknet: in_frames must be >= 1, got {in_frames}')
        if pretrained_in_channels is not None and pretrained_in_channels < 1:
            raise ValueError(
                'MultiFrameCSPDarknet: pretrained_in_channels must be >= 1 or None, '
                f'got {pretrained_in_channels}'
            )
        super().__init__(deepen_factor=deepen_factor, widen_factor=widen_factor, **kwargs)
        self.in_frames = in_frames
        self.pretrained_in_channels = pretrained_in_channels
        self._pretrained_init = False  # True only while init_weights loads the Pretrained init_cfg
        rgb_stem = self.stem.conv.conv  # nn.Conv2d of mmdet's Focus(3, ...)
        self.stem = Focus(
            in_frames,
            rgb_stem.out_channels,
            kernel_size=rgb_stem.kernel_size[0],
            conv_cfg=kwargs.get('conv_cfg'),
            norm_cfg=kwargs.get('norm_cfg', dict(type='BN', momentum=0.03, eps=0.001)),
            act_cfg=kwargs.get('act_cfg', dict(type='Swish')),
        )

    def init_weights(self) -> None:
        """mmengine's init; a Pretrained ``init_cfg`` adapts the stem kernel (see the class docstring)."""
        cfgs = self.init_cfg if isinstance(self.init_cfg, list) else [self.init_cfg]
        pretrained = any(
            isinstance(c, dict) and c.get('type') in ('Pretrained', 'PretrainedInit') for c in cfgs
        )
        self._pretrained_init = pretrained and self.pretrained_in_channels is not None
        try:
            super().init_weights()
        finally:
            self._pretrained_init = False

    def train(self, mode: bool = True) -> MultiFrameCSPDarknet:
        """mmdet's ``CSPDarknet.train`` (frozen stages, ``norm_eval``), returning ``self`` as ``nn.Module``
        does: mmdet's returns None, which breaks ``model.eval()`` chains."""
        super().train(mode)
        return self

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        """Adapt the stem kernel of a checkpoint before the stem loads it (the parent loads first)."""
        key = f'{prefix}stem.conv.conv.weight'
        weight: Tensor | None = state_dict.get(key)
        if weight is not None and weight.dim() == 4:
            channels = weight.shape[1]
            ours = FOCUS_PATCHES * self.in_frames
            rgb = self._pretrained_init and channels == FOCUS_PATCHES * self.pretrained_in_channels
            if channels != ours or rgb:
                state_dict[key] = adapt_stem_kernel(weight, self.in_frames)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


def adapt_stem_kernel(weight: Tensor, in_frames: int) -> Tensor:
    """Map a Focus stem kernel over c channels per patch to one over ``in_frames`` grey channels.

    ``out[:, p, f] = (c / in_frames) * weight[:, p, :].mean(channels)`` for each of the 4 Focus patches p
    and each frame f: averaged over the source channels, replicated over the frames, scaled so that an
    input whose ``in_frames`` channels are equal gives the response the source kernel gives to that grey
    value in all c channels (the sum over channels of each patch is preserved).

    Shape:
        weight: (O, 4 * c, k, k) -> (O, 4 * in_frames, k, k)
    """
    if in_frames < 1:
        raise ValueError(f'adapt_stem_kernel: in_frames must be >= 1, got {in_frames}')
    out_c, in_c, kh, kw = weight.shape
    if in_c % FOCUS_PATCHES:
        raise ValueError(
            f'adapt_stem_kernel: stem kernel has {in_c} input channels, not a multiple of {FOCUS_PATCHES} '
            '(Focus patches)'
        )
    per_patch = in_c // FOCUS_PATCHES
    w = weight.reshape(out_c, FOCUS_PATCHES, per_patch, kh, kw)  # (O, 4, c, k, k)
    grey = w.mean(dim=2, keepdim=True) * (per_patch / in_frames)  # (O, 4, 1, k, k)
    adapted = grey.expand(-1, -1, in_frames, -1, -1)  # (O, 4, in_frames, k, k)
    return adapted.reshape(out_c, FOCUS_PATCHES * in_frames, kh, kw).contiguous()
