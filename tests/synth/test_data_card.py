"""The data card on a tiny data set: counts, histograms, grades, deficits, and its command line."""

from __future__ import annotations

import json

import pytest

from occlunet.synth import COLLATERAL_GRADES, build_data_card, card_markdown
from occlunet.synth.data_card import COLUMNS, GROUPS, NO_OCCLUSION, NOT_RECORDED
from tests.conftest import load_tool


@pytest.fixture(scope='module')
def written_card(tiny_dataset) -> dict:
    root, _ = tiny_dataset
    return json.loads((root / 'data_card.json').read_text())


def test_counts_and_histograms_add_up(written_card, tiny_dataset):
    _, summary = tiny_dataset
    card = written_card
    per_class = card['studies_per_class']
    assert sum(per_class[g]['all'] for g in GROUPS) == 6 == card['dataset']['num_studies']
    for g in GROUPS:
        assert per_class[g]['all'] == sum(per_class[g][s] for s in COLUMNS[1:])
    occluded = sum(per_class[g]['all'] for g in GROUPS if g != NO_OCCLUSION)
    assert occluded == summary['num_occluded_studies']
    for table in ('run_length_s', 'frames_per_run'):
        assert sum(card[table]['all']) == 6 and len(card[table]['edges']) == len(card[table]['all']) + 1
    assert sum(card['frames_per_run']['all'][1:]) == 0  # 6-8 frames: the first bin (1-9)
    grades = card['collateral_grades']
    assert sum(n for g in grades.values() for n in g.values()) == occluded
    assert all(set(g) == {*map(str, COLLATERAL_GRADES), NOT_RECORDED} for g in grades.values())
    assert sum(g[NOT_RECORDED] for g in grades.values()) == 0  # graded model: every occluded study has one
    assert card['dataset']['version'] == summary['version'] and card['dataset']['preset'] == 'v2'


def test_deficits_of_every_occluded_study(written_card):
    occluded = [s for s in written_card['studies'] if s['category'] != NO_OCCLUSION]
    assert occluded and all(s['deficits'] is not None for s in occluded)
    assert all(s['deficits'] is None for s in written_card['studies'] if s['category'] == NO_OCCLUSION)
    kept = written_card['deficit_kept']['all occluded']
    measured = [
        s for s in occluded if s['deficits']['territory']['minip'] is not None
    ]  # None: no contrast yet
    assert measured and kept['territory']['minip']['n'] == len(measured)
    for region in kept.values():
        for spread in region.values():
            assert spread['q1'] <= spread['median'] <= spread['q3'] <= 1.0


def test_resimulated_card_equals_the_written_one(written_card, tiny_dataset):
    """The command-line card re-simulates the pairs from the recorded version, seed and study index."""
    root, _ = tiny_dataset
    card = build_data_card(root)
    assert json.loads(json.dumps(card)) == written_card
    md = card_markdown(card)
    assert md.startswith('# Data card') and 'deficit kept: MinIP vs best single frame' in md
    assert '| all occluded |' in md


def test_card_command_line(tiny_dataset, tmp_path, capsys):
    cli = load_tool('tools/analysis/data_card.py')
    root, _ = tiny_dataset
    card = cli.main([str(root), '--out', str(tmp_path), '--no-progress'])
    assert (tmp_path / 'data_card.json').is_file() and (tmp_path / 'data_card.md').is_file()
    assert '## Studies per class and split' in capsys.readouterr().out
    assert card['dataset']['num_studies'] == 6
