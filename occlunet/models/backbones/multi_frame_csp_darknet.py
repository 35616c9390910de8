"""CSPDarknet whose stem takes a stack of neighbouring grey frames as channels (OccluNet)."""

from __future__ import annotations

from mmdet.models.backbones import CSPDarknet
from mmdet.models.backbones.csp_darknet import Focus
from mmdet.registry import MODELS
from torch import Tensor

# Number of channels the stem of a COCO-pretrained YOLOX expects (RGB).
_PRETRAINED_IN_CHANNELS = 3
# mmdet's Focus stem concatenates 4 space-to-depth patches of the input channels.
_FOCUS_PATCHES = 4


@MODELS.register_module()
class MultiFrameCSPDarknet(CSPDarknet):
    """mmdet's ``CSPDarknet`` with an ``in_frames``-channel stem: frame t and its neighbours as channels.

    YOLOX-S widths and depths by default (``deepen_factor=0.33``, ``widen_factor=0.5``, about 9 M
    parameters with the neck and head), as in OccluNet. ``init_cfg=dict(type='Pretrained', checkpoint=...)``
    loads COCO YOLOX weights: the stem's RGB kernel is averaged over colour and replicated over the
    ``in_frames`` channels (scaled by 3 / in_frames so a constant input gives the same response).

    Args:
        in_frames: channels of the input, i.e. the frames of a neighbour stack (2k + 1).
        deepen_factor: depth multiplier of the CSP layers (YOLOX-S: 0.33).
        widen_factor: width multiplier (YOLOX-S: 0.5).
        **kwargs: the remaining ``CSPDarknet`` arguments (``out_indices``, ``norm_cfg``, ``act_cfg``, ...).

    Shape:
        x: (B, in_frames, H, W) -> tuple of (B, C_i, H / 2^(i+1), W / 2^(i+1)) for i in out_indices.
    """

    def __init__(
        self, in_frames: int = 3, deepen_factor: float = 0.33, widen_factor: float = 0.5, **kwargs
    ) -> None:
        if in_frames < 1:
            raise ValueError(f'in_frames must be >= 1, got {in_frames}')
        super().__init__(deepen_factor=deepen_factor, widen_factor=widen_factor, **kwargs)
        self.in_frames = in_frames
        old = self.stem.conv
        self.stem = Focus(
            in_frames,
            old.conv.out_channels,
            kernel_size=old.conv.kernel_size[0],
            conv_cfg=kwargs.get('conv_cfg'),
            norm_cfg=kwargs.get('norm_cfg', dict(type='BN', momentum=0.03, eps=0.001)),
            act_cfg=kwargs.get('act_cfg', dict(type='Swish')),
        )

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        """Adapt an RGB stem kernel of a pretrained checkpoint to ``in_frames`` grey channels."""
        key = f'{prefix}stem.conv.conv.weight'
        weight: Tensor | None = state_dict.get(key)
        expected = _FOCUS_PATCHES * self.in_frames
        if weight is not None and weight.shape[1] != expected:
            state_dict[key] = adapt_stem_kernel(weight, self.in_frames)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


def adapt_stem_kernel(weight: Tensor, in_frames: int) -> Tensor:
    """Map a Focus stem kernel over RGB patches to one over ``in_frames`` grey channels.

    Shape:
        weight: (O, 4 * C_in, k, k) -> (O, 4 * in_frames, k, k)
    """
    out_c, in_c, kh, kw = weight.shape
    if in_c % _FOCUS_PATCHES:
        raise ValueError(f'stem kernel has {in_c} input channels, not a multiple of {_FOCUS_PATCHES}')
    per_patch = in_c // _FOCUS_PATCHES
    w = weight.reshape(out_c, _FOCUS_PATCHES, per_patch, kh, kw)  # (O, 4, C_in, k, k)
    grey = w.mean(dim=2, keepdim=True) * (per_patch / in_frames)  # (O, 4, 1, k, k)
    return grey.expand(-1, -1, in_frames, -1, -1).reshape(out_c, _FOCUS_PATCHES * in_frames, kh, kw)
