"""Every module occlunet registers builds from a config dict, and every config under configs/ builds its
model. A newly registered module without an entry in BUILD_CFGS fails
``test_every_module_has_a_build_cfg``."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from mmdet import registry as mmdet_registry
from mmengine.config import Config
from mmengine.registry import DefaultScope, Registry

import occlunet  # noqa: F401  (registers)

REPO = Path(__file__).resolve().parents[1]
REGISTRIES = (
    'MODELS',
    'DATASETS',
    'TRANSFORMS',
    'METRICS',
    'TASK_UTILS',
    'VISUALIZERS',
    'HOOKS',
    'LOOPS',
    'OPTIM_WRAPPER_CONSTRUCTORS',
)
TINY_DETECTOR = Config.fromfile(REPO / 'configs/occlunet1_dsa_tiny.py').model.to_dict()
TINY_CLASSIFIER = Config.fromfile(REPO / 'configs/classifier/gru_resnet18_dsa_tiny.py').model.to_dict()

BUILD_CFGS: dict[tuple[str, str], dict] = {
    ('MODELS', 'MultiFrameCSPDarknet'): dict(in_frames=3, widen_factor=0.125),
    ('MODELS', 'SequenceDataPreprocessor'): dict(mean=0.5, std=0.25),
    ('MODELS', 'OccluNet'): TINY_DETECTOR,
    ('MODELS', 'SequenceClassifier'): TINY_CLASSIFIER,
    ('MODELS', 'TemporalAttention'): dict(in_channels=16, num_frames=3, embed_dims=8, num_heads=2),
    ('MODELS', 'DividedSpaceTimeAttention'): dict(in_channels=16, num_frames=3, embed_dims=8, num_heads=2),
    ('MODELS', 'TemporalNeck'): dict(
        in_channels=[16, 16], num_frames=3, temporal_cfg=dict(type='TemporalAttention', num_heads=2)
    ),
    ('DATASETS', 'DSAVideoDataset'): dict(
        ann_file='annotations/train.json', data_root='data/', lazy_init=True
    ),
    ('DATASETS', 'CachedFeatureDataset'): dict(
        cache_dir='cache/', ann_file='annotations/train.json', data_root='data/', lazy_init=True
    ),
    ('TRANSFORMS', 'LoadCachedFeatures'): dict(flip_prob=0.5),
    ('TRANSFORMS', 'PackCachedFeatures'): dict(),
    ('TRANSFORMS', 'LoadDSASequence'): dict(),
    ('TRANSFORMS', 'ResizeSequence'): dict(scale=(64, 64)),
    ('TRANSFORMS', 'NormalizeIntensity'): dict(),
    ('TRANSFORMS', 'NeighbourFrameStack'): dict(k=1),
    ('TRANSFORMS', 'FrameChunkStack'): dict(size=3),
    ('TRANSFORMS', 'MinIntensityProjection'): dict(channels=1),
    ('TRANSFORMS', 'RandomSequenceFlip'): dict(prob=0.5),
    ('TRANSFORMS', 'RandomShiftScaleRotate'): dict(),
    ('TRANSFORMS', 'RandomContrast'): dict(),
    ('TRANSFORMS', 'RandomGaussianBlur'): dict(),
    ('TRANSFORMS', 'RandomGaussianNoise'): dict(),
    ('TRANSFORMS', 'RandomHalfResolution'): dict(),
    ('TRANSFORMS', 'PackDSAInputs'): dict(),
    ('TRANSFORMS', 'ReorderFrames'): dict(order='shuffle', seed=0),
    ('METRICS', 'SequenceDetectionMetric'): dict(single_class=True),
    ('METRICS', 'BinaryClassificationMetric'): dict(threshold=0.5),
    ('TASK_UTILS', 'TrajectoryLinker'): dict(radius=25.0),
    ('HOOKS', 'SequenceVisualizationHook'): dict(out_dir='vis'),
    ('HOOKS', 'FrameWindowCheckHook'): dict(),
    ('OPTIM_WRAPPER_CONSTRUCTORS', 'AmpIfAvailableOptimWrapperConstructor'): dict(
        optim_wrapper_cfg=dict(type='AmpOptimWrapper', optimizer=dict(type='AdamW', lr=1e-5))
    ),
}


def _registry(name: str) -> Registry:
    return getattr(mmdet_registry, name)


def registered_by_occlunet() -> set[tuple[str, str]]:
    found = set()
    for name in REGISTRIES:
        for key, cls in _registry(name)._module_dict.items():
            if cls.__module__.startswith('occlunet'):
                found.add((name, key))
    return found


def test_every_module_has_a_build_cfg() -> None:
    registered = registered_by_occlunet()
    assert registered, 'import occlunet registered nothing'
    assert registered == set(BUILD_CFGS), (
        f'registered without a build cfg: {sorted(registered - set(BUILD_CFGS))}; '
        f'build cfgs of unregistered names: {sorted(set(BUILD_CFGS) - registered)}'
    )


@pytest.mark.parametrize(('registry', 'name'), sorted(BUILD_CFGS))
def test_module_builds_from_config(registry: str, name: str) -> None:
    cfg = dict(BUILD_CFGS[(registry, name)], type=name)
    with DefaultScope.overwrite_default_scope('mmdet'):
        obj = _registry(registry).build(cfg)
    assert type(obj).__name__ == name


CONFIGS = sorted(
    p.relative_to(REPO).as_posix()
    for p in [*(REPO / 'configs').glob('*.py'), *(REPO / 'configs/classifier').glob('*.py')]
)


@pytest.mark.parametrize('config', CONFIGS)
def test_config_builds_its_model(config: str) -> None:
    cfg = Config.fromfile(REPO / config)
    assert cfg.custom_imports.imports == ['occlunet']
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = mmdet_registry.MODELS.build(cfg.model)
        for key in ('val_evaluator', 'test_evaluator'):
            mmdet_registry.METRICS.build(cfg[key])
    assert sum(p.numel() for p in model.parameters()) > 0
    if cfg.model.type == 'OccluNet':  # windows of T frames of in_frames channels
        t, c = model.num_frames, cfg.model.backbone.in_frames
        model.eval()
        with torch.no_grad():
            out = model._forward(torch.rand(1, t, c, 64, 64))
        assert len(out) == 3 and out[0][0].shape[-2:] == (8, 8)  # cls scores at stride 8
    if cfg.model.type == 'SequenceClassifier':  # sequences of 2 and 1 chunks of in_channels frames
        c = cfg.model.in_channels
        model.eval()
        with torch.no_grad():
            logits = model([torch.rand(2, c, 64, 64), torch.rand(1, c, 64, 64)], mode='tensor')
        assert logits.shape == (2,)
