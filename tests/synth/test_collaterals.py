"""Graded collaterals (ASITN/SIR), the opacified share of the collateral supply, and the alternative inflow
of cervical ICA occlusions (CCA injection, ECA -> ophthalmic reconstitution)."""

from __future__ import annotations

import numpy as np
import pytest

from occlunet.synth import CollateralDraws, SynthParams, simulate_study
from occlunet.synth.collaterals import retrograde_numbers

#: 64 px, one fixed-rate 14 s run: long enough for slow collaterals.
RUN = dict(size=64, fps_min=2.0, fps_max=2.0, frames_min=28, frames_max=28, two_rate_probability=0.0)


def _only_grade(grade: int, **extra) -> SynthParams:
    weights = [0.0] * 5
    weights[grade] = 1.0
    return SynthParams(**RUN, collateral_grade_weights=tuple(weights), **extra)


def _bed(sim) -> np.ndarray:
    """Mean concentration curve (G,) of the pieces downstream of the clot."""
    down = np.isin(sim.pieces.seg, sim.occlusion.downstream)
    return sim.curves.pieces[down].mean(axis=0)


def test_grades_follow_the_published_distribution():
    p = SynthParams()
    rng = np.random.default_rng(0)
    grades = np.array([CollateralDraws.sample(rng, p).grade for _ in range(4000)])
    want = np.asarray(p.collateral_grade_weights) / sum(p.collateral_grade_weights)  # IMS III: 7/23/62/62/7
    np.testing.assert_allclose(np.bincount(grades, minlength=5) / len(grades), want, atol=0.025)


def test_grade_sets_how_fast_how_strong_how_far():
    q = np.full(5, 0.5)
    p = SynthParams()
    by_grade = [retrograde_numbers(p, 'M1', g, q) for g in range(5)]
    assert by_grade[0]['ratio'] == 0.0
    assert by_grade[4]['delay'] < by_grade[2]['delay'] < by_grade[1]['delay']  # rapid vs slow
    assert by_grade[3]['delay'] > by_grade[4]['delay']
    assert [n['ratio'] for n in by_grade] == sorted(n['ratio'] for n in by_grade)  # stronger with the grade
    assert by_grade[1]['decay'] < by_grade[2]['decay'] < by_grade[3]['decay']  # periphery -> whole territory
    v1 = retrograde_numbers(SynthParams(collateral_model='class'), 'M1', 4, q)
    assert v1['delay'] == pytest.approx(1.75) and v1['ratio'] == pytest.approx(0.725)  # the 1.0.0 ranges


@pytest.mark.parametrize('index', [0, 5])
def test_good_collaterals_fill_the_bed_poor_ones_leave_it_empty(index):
    t = None
    peaks, arrivals = {}, {}
    for grade in (0, 1, 4):
        sim = simulate_study(index, 2, _only_grade(grade), occlusion='M1', render=False)
        assert sim.collateral.grade == grade and sim.curves.info['collateral_grade'] == grade
        curve, t = _bed(sim), sim.curves.t
        peaks[grade] = curve.max()
        arrivals[grade] = t[np.argmax(curve >= 0.5 * curve.max())] if curve.max() > 0 else np.inf
    ctl = simulate_study(index, 2, _only_grade(4), occlusion='M1', apply_occlusion=False, render=False)
    normal = _bed(ctl).max()
    assert peaks[0] == 0.0  # grade 0: no collaterals visible
    assert peaks[1] < 0.5 * peaks[4]  # grade 1: low, periphery only
    assert arrivals[4] + 1.0 < arrivals[1]  # rapid vs slow
    assert peaks[4] > 0.3 * normal


def test_unopacified_territories_dilute_the_collaterals():
    """M1: the ACA and the PCA feed the collaterals; a PCA without a PCom fills from the basilar artery
    (unopacified on an ICA injection), so half of the supply carries contrast."""
    shares = {}
    for index in range(5):  # studies 0-2 have a PCom, 3-4 not
        sim = simulate_study(index, 1, SynthParams(**RUN), occlusion='M1', render=False)
        has_pca = any(s.name == 'PCom' for s in sim.tree.segments)
        shares[has_pca] = sim.curves.info['collateral_opacified_share']
    assert shares == {True: 1.0, False: 0.5}
    v1 = simulate_study(0, 1, SynthParams(**RUN, collateral_model='class'), occlusion='M1', render=False)
    assert 'collateral_opacified_share' not in v1.curves.info


def test_cervical_ica_clot_is_injected_from_the_cca():
    for index in range(2):
        sim = simulate_study(index, 0, SynthParams(**RUN), occlusion='ICA_extracranial', render=False)
        assert sim.injection == 'CCA' and sim.tree.by_name('ECA_facial')
        ctl = simulate_study(
            index, 0, SynthParams(**RUN), occlusion='ICA_extracranial', apply_occlusion=False, render=False
        )
        assert ctl.injection == 'CCA'  # the control is the same study


def test_eca_ophthalmic_reconstitution_fills_the_siphon_late_and_faint():
    def run(probability: float):
        p = SynthParams(
            **RUN, eca_ophthalmic_probability=probability, collateral_grade_weights=(1, 0, 0, 0, 0)
        )
        return simulate_study(3, 0, p, occlusion='ICA_extracranial', render=False)

    without, with_ = run(0.0), run(1.0)
    m1 = with_.pieces.of_segment(with_.tree.by_name('M1a').sid)
    assert without.curves.pieces[m1].max() == 0.0  # grade 0 and no reconstitution: nothing fills
    assert 'reconstitution_t0' in with_.curves.info and with_.collateral.eca_ophthalmic
    ctl = simulate_study(
        3, 0, SynthParams(**RUN), occlusion='ICA_extracranial', apply_occlusion=False, render=False
    )
    t = with_.curves.t
    late = t[np.argmax(with_.curves.pieces[m1].max(axis=0))]
    normal = t[np.argmax(ctl.curves.pieces[m1].max(axis=0))]
    assert late > normal + 1.0  # through the ECA, the orbit and back down the ophthalmic artery
    fraction = with_.collateral.reconstitution_fraction
    assert 0 < with_.curves.pieces[m1].max() <= fraction * ctl.curves.pieces[m1].max() + 1e-6
