"""occlunet.benchmark.models: the plain YOLOX-S twin of an OccluNet config and score thresholds."""

from __future__ import annotations

import torch

from occlunet.benchmark import build_model, candidate_threshold, head_scores, load_config, yolox_s_cfg
from tests.conftest import REPO


def test_candidate_threshold_lets_about_k_boxes_in():
    scores = torch.tensor([0.9, 0.1, 0.5, 0.7, 0.3])
    assert candidate_threshold(scores, 2) == torch.tensor(0.7).item()
    assert (scores >= candidate_threshold(scores, 3)).sum() == 3
    assert candidate_threshold(scores, 100) == torch.tensor(0.1).item()  # fewer scores than candidates


def test_yolox_twin_builds_on_single_images_with_the_config_widths():
    occlunet_model = load_config(REPO / 'configs' / 'occlunet1_dsa_tiny.py').model
    cfg = yolox_s_cfg(occlunet_model)
    assert not {'in_frames', 'init_cfg', 'pretrained_in_channels'} & set(cfg['backbone'])
    torch.manual_seed(0)
    yolox = build_model(cfg).eval()
    assert type(yolox).__name__ == 'YOLOX'
    assert yolox.backbone.stem.conv.conv.in_channels == 4 * 3  # Focus: 3-channel images, space to depth
    with torch.no_grad():
        scores = head_scores(yolox.bbox_head, yolox.neck(yolox.backbone(torch.zeros(2, 3, 64, 64))))
    assert scores.shape == (2 * (8 * 8 + 4 * 4 + 2 * 2),)  # one per prior, strides 8, 16, 32
    assert ((scores >= 0) & (scores <= 1)).all()
