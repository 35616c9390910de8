"""The physics of the generator: tree, haemodynamics, occlusion timing, PA/LAT consistency."""

from __future__ import annotations

import numpy as np
import pytest

from occlunet.synth import SynthParams, gamma_variate, simulate_study
from occlunet.synth.haemodynamics import DT


def _t_half(curve: np.ndarray, times: np.ndarray) -> float:
    """Time at which a (baseline-corrected) curve first reaches half its peak, linearly interpolated."""
    c = curve - curve[0]
    k = int(np.flatnonzero(c >= 0.5 * c.max())[0])
    if k == 0:
        return float(times[0])
    return float(times[k - 1] + (0.5 * c.max() - c[k - 1]) / (c[k] - c[k - 1]) * (times[k] - times[k - 1]))


def test_gamma_variate_peak_and_shape():
    t = np.arange(0.0, 10.0, 0.001)
    c = gamma_variate(t, 1.0, 3.0, 0.4, 2.0)
    assert c[t < 1.0].max() == 0.0
    assert c.max() == pytest.approx(2.0, rel=1e-4)
    assert t[np.argmax(c)] == pytest.approx(1.0 + 3.0 * 0.4, abs=2e-3)  # t0 + alpha * beta
    assert np.all(gamma_variate(t, np.inf, 3.0, 0.4, 2.0) == 0.0)  # no arrival: no contrast


@pytest.mark.parametrize('index', [0, 1, 2])
def test_murray_law_and_velocity(index, small_params):
    sim = simulate_study(index, 0, small_params, occlusion=None, render=False)
    tree = sim.tree
    for seg in tree.arteries():
        if seg.children:
            kids = sum(tree.segments[c].radius ** 3 for c in seg.children)
            assert seg.radius**3 == pytest.approx(kids, rel=1e-9)
    assert 1.7 <= tree.by_name('ICA_cervical').radius <= 2.3
    assert tree.by_name('M1a').radius > tree.by_name('M2_0').radius > min(s.radius for s in tree.arteries())
    # the bolus arrives later along every path (transit time grows with path length)
    arrival = sim.curves.arrival
    for seg in tree.arteries():
        pcs = sim.pieces.of_segment(seg.sid)
        assert np.all(np.diff(arrival[pcs]) > 0) or len(pcs) == 1
        if seg.parent >= 0:
            assert arrival[pcs[0]] > arrival[sim.pieces.of_segment(seg.parent)[-1]]


def test_phases_arterial_capillary_venous(small_params):
    sim = simulate_study(0, 0, small_params, occlusion=None, render=False)
    c, t = sim.curves, sim.curves.t
    art = np.array([sim.tree.segments[s].kind == 'artery' for s in sim.pieces.seg])
    peak_t = lambda rows: float(np.median(t[np.argmax(rows, axis=1)]))  # noqa: E731
    ica = sim.pieces.of_segment(sim.tree.by_name('ICA_cervical').sid)
    sinus = sim.pieces.of_segment(sim.tree.by_name('SSS_2').sid)
    t_art, t_cap, t_ven = peak_t(c.pieces[ica]), peak_t(c.blush), peak_t(c.pieces[sinus])
    assert t_art + 1.0 < t_cap < t_ven  # arterial -> capillary blush -> venous sinus
    assert c.pieces[art].max() <= 1.0 + 1e-6  # the bolus peak is the highest concentration
    assert c.pieces[sinus].max() < 0.6 * c.pieces[ica].max()  # veins are dispersed and diluted
    assert DT < 0.1


def test_no_antegrade_flow_downstream_of_clot(small_params):
    sim = simulate_study(2, 0, small_params, occlusion='M1', render=False)
    occ = sim.occlusion
    assert sim.category == 'M1' and occ.active
    down = np.isin(sim.pieces.seg, occ.downstream)
    assert np.all(np.isinf(sim.curves.arrival[down]))  # no antegrade arrival at all
    assert np.all(np.isfinite(sim.curves.arrival[sim.pieces.of_segment(occ.segment)]))  # the stump fills
    # what fills downstream is the (late, lower) collateral curve only
    assert np.allclose(sim.curves.pieces[down], sim.curves.collateral[down], atol=1e-6)
    ctl = simulate_study(2, 0, small_params, occlusion='M1', apply_occlusion=False, render=False)
    assert ctl.category is None and ctl.annotation_records() == []
    assert sim.curves.pieces[down].max() < ctl.curves.pieces[down].max()


@pytest.mark.parametrize('index', [0, 1, 3])
def test_occluded_territory_fills_later_and_minip_differs_less(index, small_params):
    """THE key property: time matters. With slow but complete collaterals (ASITN/SIR grade 3) the territory
    downstream of an M1 clot fills later than the same territory in a control run of the same study, while
    the MinIP over the run differs much less than the time course does."""
    p = small_params.replace(collateral_grade_weights=(0.0, 0.0, 0.0, 1.0, 0.0))
    occ = simulate_study(index, 0, p, occlusion='M1')
    ctl = simulate_study(index, 0, p, occlusion='M1', apply_occlusion=False)
    for view in ('PA', 'LAT'):
        mask = occ.territory_mask(view)
        assert mask.sum() > 50
        dsa_o, dsa_c = occ.views[view].dsa, ctl.views[view].dsa  # iodine positive (vessels dark on display)
        curve_o, curve_c = dsa_o[:, mask].mean(axis=1), dsa_c[:, mask].mean(axis=1)
        t_o, t_c = _t_half(curve_o, occ.frame_times), _t_half(curve_c, ctl.frame_times)
        assert t_o > t_c + 1.5, (view, t_o, t_c)
        minip_o, minip_c = dsa_o.max(axis=0)[mask].mean(), dsa_c.max(axis=0)[mask].mean()  # display MinIP
        minip_diff = abs(minip_o - minip_c) / minip_c
        curve_diff = np.linalg.norm(curve_o - curve_c) / np.linalg.norm(curve_c)
        assert minip_diff < 0.75 * curve_diff, (view, minip_diff, curve_diff)
        assert minip_o > 0.4 * minip_c  # the territory does fill (late)


def test_pa_and_lat_project_the_same_tree(small_params):
    sim = simulate_study(4, 0, small_params, occlusion='M2')
    pa, lat = sim.views['PA'], sim.views['LAT']
    assert pa.geometry.px_mm == lat.geometry.px_mm
    pts = np.vstack([s.points for s in sim.tree.arteries()])
    v_pa, v_lat = pa.geometry.project(pts)[:, 1], lat.geometry.project(pts)[:, 1]
    np.testing.assert_allclose(v_pa, v_lat)  # rows depend on z only, identically in both views
    # the rendered vessels span the same rows in both views
    rows_pa = np.flatnonzero(np.asarray(pa.matrix.sum(axis=1)).reshape(96, 96).sum(axis=1) > 0)
    rows_lat = np.flatnonzero(np.asarray(lat.matrix.sum(axis=1)).reshape(96, 96).sum(axis=1) > 0)
    assert abs(rows_pa.min() - rows_lat.min()) <= 3
    assert abs(rows_pa.max() - rows_lat.max()) <= 3
    # one clot, same class and frames in both views, boxes at the same height
    a_pa, a_lat = sim.annotation_records()
    assert a_pa['category_id'] == a_lat['category_id'] == 2
    assert (a_pa['frame_start'], a_pa['frame_end']) == (a_lat['frame_start'], a_lat['frame_end'])
    cy = lambda b: b[1] + b[3] / 2  # noqa: E731
    assert cy(a_pa['bbox']) == pytest.approx(cy(a_lat['bbox']), abs=1.0)
    assert pa.series_uid != lat.series_uid and pa.sop_uid != lat.sop_uid


@pytest.mark.parametrize('cls', ['M1', 'M2', 'ICA_intracranial', 'ICA_extracranial', 'unknown'])
def test_every_class_annotated_inside_frame(cls, small_params):
    sim = simulate_study(7, 3, small_params, occlusion=cls, render=False)
    assert sim.category == cls
    assert 0 <= sim.frame_start <= sim.frame_end < sim.num_frames
    stump = sim.pieces.of_segment(sim.occlusion.segment)[-1]
    assert sim.piece_curves[stump, sim.frame_start] > 0  # the stump is opacified when the box appears
    for rec in sim.annotation_records():
        x, y, w, h = rec['bbox']
        assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= 96 + 1e-6 and y + h <= 96 + 1e-6
        assert 20 * 96 / 512 - 1e-6 <= max(w, h) <= 40 * 96 / 512 + 1e-6


def test_clot_in_extracranial_ica_blocks_intracranial_filling(small_params):
    sim = simulate_study(1, 0, small_params, occlusion='ICA_extracranial', render=False)
    names = {sim.tree.segments[s].name for s in sim.occlusion.downstream}
    assert {'ICA_C7b', 'M1a', 'A1'} <= names
    down = np.isin(sim.pieces.seg, sim.occlusion.downstream)
    assert sim.curves.pieces[down].max() < 0.4  # at most faint late collateral filling


def test_images_dark_vessels_on_grey(small_params):
    sim = simulate_study(0, 0, small_params, occlusion=None)
    stored = sim.views['PA'].stored
    top = (1 << small_params.bits_stored) - 1
    assert stored.dtype == np.uint16 and stored.max() <= top
    first, peak = stored[0].astype(float) / top, stored.astype(float).min(axis=0) / top
    assert abs(np.median(first) - small_params.background_level) < 0.02  # no iodine yet: grey
    assert np.percentile(peak, 0.5) < 0.45  # vessels are dark in the MinIP
    dsa = sim.views['PA'].dsa
    assert np.std(dsa[0]) < 0.1 and np.std(dsa[0]) > 0  # noise, but the anatomy cancels


def test_params_validation():
    with pytest.raises(ValueError):
        SynthParams(classes=('M3',))
    with pytest.raises(ValueError):
        SynthParams(bits_stored=8)
    with pytest.raises(ValueError):
        SynthParams(compress='jpeg')
    with pytest.raises(ValueError):
        SynthParams(duration_s=(9.0, 6.0))
    with pytest.raises(ValueError):
        SynthParams(duration_s=(0.0, 6.0))
    with pytest.raises(TypeError):
        SynthParams(not_a_field=1)
