"""SequenceClassifier: shapes for each backbone and RNN, packing (padding never read), training, init."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.registry import DefaultScope

from occlunet.models.classifiers import SequenceClassifier

SIZE = 32
CHUNK = 3  # frames per chunk = channels
BACKBONES = {
    'resnet18': dict(type='ResNet', depth=18, base_channels=8, stem_channels=8, out_indices=(3,)),
    'efficientnet_b0': dict(type='EfficientNet', arch='b0', out_indices=(6,)),
    'regnet': dict(type='RegNet', arch='regnetx_400mf', out_indices=(3,), norm_eval=False),
    'cspdarknet': dict(type='CSPDarknet', deepen_factor=0.33, widen_factor=0.125, out_indices=(4,)),
}
FEAT_CHANNELS = {'resnet18': 64, 'efficientnet_b0': 1280, 'regnet': 384, 'cspdarknet': 128}


@pytest.fixture(autouse=True)
def mmdet_scope() -> Iterator[None]:
    """The classifier builds its data preprocessor through mmengine's registry, as under a Runner."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def model_cfg(backbone: str = 'resnet18', **kwargs) -> dict:
    cfg = dict(
        type='SequenceClassifier',
        data_preprocessor=dict(type='SequenceDataPreprocessor', mean=0.5, std=0.25, pad_size_divisor=1),
        backbone=BACKBONES[backbone],
        hidden_size=16,
        num_layers=2,
    )
    return {**cfg, **kwargs}


def build(backbone: str = 'resnet18', seed: int = 0, **kwargs) -> SequenceClassifier:
    torch.manual_seed(seed)
    return MODELS.build(model_cfg(backbone, **kwargs))


def sample(label: int, video_id: int = 0) -> DetDataSample:
    data_sample = DetDataSample(metainfo=dict(video_id=video_id, view='PA'))
    data_sample.set_field(torch.tensor([label]), 'gt_label')
    return data_sample


def batch(model: SequenceClassifier, lengths: list[int], labels: list[int], training: bool = False) -> dict:
    """Random sequences of ``lengths`` chunks through the model's data preprocessor (time padding)."""
    inputs = [torch.rand(n, CHUNK, SIZE, SIZE) for n in lengths]
    samples = [sample(label, i) for i, label in enumerate(labels)]
    return model.data_preprocessor(dict(inputs=inputs, data_samples=samples), training)


@pytest.mark.parametrize('rnn_type', ['gru', 'lstm'])
@pytest.mark.parametrize('backbone', sorted(BACKBONES))
def test_shapes_and_modes_for_each_backbone_and_rnn(backbone: str, rnn_type: str) -> None:
    model = build(backbone, rnn_type=rnn_type)
    assert model.feat_dims == FEAT_CHANNELS[backbone]  # measured by the dummy forward
    assert isinstance(model.rnn, torch.nn.GRU if rnn_type == 'gru' else torch.nn.LSTM)
    data = batch(model, [2, 4], [1, 0], training=True)
    assert data['inputs'].shape == (2, 4, CHUNK, SIZE, SIZE)
    model.train()
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls'} and losses['loss_cls'].ndim == 0
    assert torch.isfinite(losses['loss_cls'])
    losses['loss_cls'].backward()
    assert model.backbone.training and next(model.backbone.parameters()).grad is not None
    model.eval()
    assert model(**data, mode='tensor').shape == (2,)
    results = model(**data, mode='predict')
    for result in results:
        assert result.pred_score.shape == (1,) and result.pred_score.dtype == torch.float32
        assert 0.0 <= result.pred_score.item() <= 1.0
        assert result.pred_label.dtype == torch.long
        assert result.pred_label.item() == int(result.pred_score.item() >= model.threshold)


def test_feature_width_with_pooling_and_given_channels() -> None:
    assert build(pool_size=2).feat_dims == 64 * 4
    assert build(feat_channels=64).feat_dims == 64
    logits = build(pool_size=2).eval()([torch.rand(3, CHUNK, SIZE, SIZE)], mode='tensor')  # a plain list
    assert logits.shape == (1,)


@pytest.mark.parametrize('rnn_type', ['gru', 'lstm'])
def test_padding_is_never_read(rnn_type: str) -> None:
    """A sequence's output is the same alone and batched with a longer one; NaN padding changes nothing."""
    model = build(rnn_type=rnn_type).eval()
    short = torch.rand(2, CHUNK, SIZE, SIZE)
    long = torch.rand(5, CHUNK, SIZE, SIZE)
    with torch.no_grad():
        alone = model(**model.data_preprocessor(dict(inputs=[short], data_samples=[sample(0)])))
        data = model.data_preprocessor(dict(inputs=[long, short], data_samples=[sample(1), sample(0, 1)]))
        assert data['data_samples'][1].num_valid_frames == 2
        together = model(**data)
        data['inputs'][1, 2:] = float('nan')  # the time padding of the short sequence
        poisoned = model(**data)
        long_alone = model(**model.data_preprocessor(dict(inputs=[long], data_samples=[sample(1)])))
    torch.testing.assert_close(together[1], alone[0], rtol=0, atol=1e-5)
    torch.testing.assert_close(together[0], long_alone[0], rtol=0, atol=1e-5)
    assert torch.equal(poisoned, together)


def test_both_directions_of_the_last_layer_are_read() -> None:
    """h_n of the last layer, both directions: the backward state depends on the first chunk, so changing
    only the first chunk changes the logit, and reversing the chunk order does too."""
    model = build().eval()
    x = torch.rand(4, CHUNK, SIZE, SIZE)
    changed = x.clone()
    changed[0] = torch.rand(CHUNK, SIZE, SIZE)
    with torch.no_grad():
        base, first, reverse = (model([s], mode='tensor') for s in (x, changed, x.flip(0)))
    assert not torch.allclose(base, first) and not torch.allclose(base, reverse)


def separable_batch(n: int = 6) -> tuple[list[torch.Tensor], list[DetDataSample]]:
    """Positives: a dark square fills late (in the last chunk only); negatives: it fills in every chunk."""
    rng = np.random.default_rng(0)
    inputs, samples = [], []
    for i in range(n):
        label = i % 2
        length = 3 + i % 3
        x = 0.8 + 0.05 * torch.from_numpy(rng.standard_normal((length, CHUNK, SIZE, SIZE))).float()
        filled = [length - 1] if label else range(length)
        for t in filled:
            x[t, :, 8:20, 8:20] = 0.2
        inputs.append(x)
        samples.append(sample(label, i))
    return inputs, samples


def test_loss_falls_on_a_separable_toy_set() -> None:
    model = build(dropout=0.0).train()
    inputs, samples = separable_batch()
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    history = []
    for _ in range(30):
        loss = model(**data, mode='loss')['loss_cls']
        assert torch.isfinite(loss)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    assert np.mean(history[-3:]) < 0.3 * history[0], history
    model.eval()
    predicted = [int(s.pred_label) for s in model(**data, mode='predict')]
    assert predicted == [int(s.gt_label) for s in samples]


def test_pos_weight_scales_the_positive_term() -> None:
    model = build(dropout=0.0).eval()
    data = batch(model, [3], [1])
    plain = model(**data, mode='loss')['loss_cls']
    weighted = build(dropout=0.0, pos_weight=3.0).eval()(**data, mode='loss')['loss_cls']
    torch.testing.assert_close(weighted, 3.0 * plain)


def random_state(model: SequenceClassifier) -> dict[str, torch.Tensor]:
    return {k: torch.randn_like(v) if v.is_floating_point() else v for k, v in model.state_dict().items()}


def test_pretrained_init_cfg_loads_a_saved_classifier(tmp_path: Path) -> None:
    state = random_state(build(seed=1))
    path = tmp_path / 'classifier.pth'
    torch.save({'state_dict': state}, path)
    model = build(seed=2, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    loaded = model.state_dict()
    assert loaded.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(loaded[key], value), key


def test_pretrained_backbone_with_prefix(tmp_path: Path) -> None:
    """The mmdet idiom for ImageNet/detector weights: the backbone's init_cfg with a key prefix."""
    state = random_state(build(seed=1))
    path = tmp_path / 'other_model.pth'
    torch.save({'state_dict': state}, path)
    cfg = model_cfg()
    init_cfg = dict(type='Pretrained', checkpoint=str(path), prefix='backbone.')
    cfg['backbone'] = dict(cfg['backbone'], init_cfg=init_cfg)
    model = MODELS.build(cfg)
    model.init_weights()
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, state[f'backbone.{key}']), key
    assert not torch.equal(model.fc.weight, state['fc.weight'])  # only the backbone was loaded


def test_bad_arguments_and_inputs_raise() -> None:
    with pytest.raises(ValueError, match='rnn_type'):
        build(rnn_type='rnn')
    with pytest.raises(ValueError, match='threshold'):
        build(threshold=1.5)
    with pytest.raises(ValueError, match='pos_weight'):
        build(pos_weight=0.0)
    model = build().eval()
    with pytest.raises(ValueError, match=r'\(N, T, C, H, W\)'):
        model(torch.rand(2, CHUNK, SIZE, SIZE))
    with pytest.raises(RuntimeError, match='invalid mode'):
        model([torch.rand(1, CHUNK, SIZE, SIZE)], mode='bogus')
