"""occlunet.benchmark.timing: the interleaved timing protocol and the statistics of its repeats."""

from __future__ import annotations

import pytest
import torch

from occlunet.benchmark import spread, summary, time_interleaved


def test_time_interleaved_warms_up_then_rotates_the_order():
    calls: list[str] = []
    variants = {name: (lambda name=name: calls.append(name)) for name in 'abc'}
    times = time_interleaved(variants, repeats=3, warmup=1, device=torch.device('cpu'))
    assert calls[:3] == ['a', 'b', 'c']  # one warm-up call each
    assert calls[3:] == ['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']  # rounds rotated by one
    assert {k: len(v) for k, v in times.items()} == {'a': 3, 'b': 3, 'c': 3}
    assert all(t >= 0 for v in times.values() for t in v)


def test_summary_quartiles_and_spread():
    stats = summary([4.0, 1.0, 3.0, 2.0, 5.0], scale=1000.0)
    assert stats == {'median': 3000.0, 'q1': 2000.0, 'q3': 4000.0, 'min': 1000.0, 'max': 5000.0, 'n': 5}
    assert spread(stats) == '3000.0 [2000.0-4000.0]'
    assert spread(summary([0.5, 1.5]), digits=2) == '1.00 [0.75-1.25]'


def test_summary_of_one_repeat():
    expected = {'median': 2.0, 'q1': 2.0, 'q3': 2.0, 'min': 2.0, 'max': 2.0, 'n': 1}
    assert summary([2.0]) == pytest.approx(expected)
