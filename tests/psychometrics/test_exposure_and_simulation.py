"""Exposure control by simulation, correlated priors, augmentation, metrics."""

from __future__ import annotations

import numpy as np
import pytest

from langcert.psychometrics.exposure import calibrate_sympson_hetter
from langcert.psychometrics.selection import CatConfig
from langcert.psychometrics.simulation import (
    BASELINE,
    REFERENCE_CUTS,
    Design,
    draw_abilities,
    generate_pool,
    reference_bank,
    run_battery,
    skill_metrics,
)


def _pools(n_skills=2, n_items=150):
    rng = np.random.default_rng(11)
    return [generate_pool(rng, n_items, id_offset=1000 * s) for s in range(n_skills)]


def test_exposure_stays_under_target_in_a_fresh_simulation() -> None:
    pools = _pools()
    design = Design(CatConfig(k=1, test_length=10))

    def runner(ps, seed):
        rng = np.random.default_rng(100 + seed)
        th = draw_abilities(rng, 1500, len(ps))
        return run_battery(ps, th, rng, design, track_selected=True), th

    free = run_battery(pools, draw_abilities(np.random.default_rng(1), 1500, 2),
                       np.random.default_rng(1), Design(CatConfig(k=1, exposure=False)))
    assert max(np.bincount(r.items.ravel()).max() for r in free) / 1500 > 0.9
    cal, report = calibrate_sympson_hetter(pools, runner, r_max=0.3, r_total=0.2, n_iter=8)
    assert_exposure_held_on_fresh_candidates(cal, design)
    assert len(report.max_unconditional[0]) == 8


def assert_exposure_held_on_fresh_candidates(pools, design, cap=0.25) -> None:
    """A new sample of 2,000 candidates: no item over ``cap``, bands still sound."""
    rng = np.random.default_rng(999)
    th = draw_abilities(rng, 2000, len(pools))
    runs = run_battery(pools, th, rng, design)
    for s, run in enumerate(runs):
        m = skill_metrics(run, th[:, s], REFERENCE_CUTS, pools[s])
        assert m["max_exposure"] <= cap, m
        assert m["within_one_band"] > 0.95


def test_correlated_prior_and_augmentation_help() -> None:
    pools = reference_bank(n_items=200)[:3]
    rng = np.random.default_rng(5)
    th = draw_abilities(rng, 1500, 3)
    out = {}
    for name, design in {"plain": BASELINE,
                         "joint": Design(CatConfig(k=1, exposure=False),
                                         correlated_prior=True, augment=True)}.items():
        runs = run_battery(pools, th, np.random.default_rng(6), design)
        out[name] = np.mean([np.sqrt(np.mean((r.theta - th[:, s]) ** 2))
                             for s, r in enumerate(runs)])
    assert out["joint"] < out["plain"] - 0.01


def test_metrics_are_fractions_and_bands_consistent() -> None:
    pools = _pools(1, 120)
    rng = np.random.default_rng(3)
    th = draw_abilities(rng, 400, 1)
    run = run_battery(pools, th, rng, BASELINE)[0]
    m = skill_metrics(run, th[:, 0], REFERENCE_CUTS, pools[0])
    for key in ("exact_band", "within_one_band", "max_exposure", "mean_exposure"):
        assert 0.0 <= m[key] <= 1.0
    assert m["mean_exposure"] == pytest.approx(10 / 120)
    np.testing.assert_allclose(run.band_probs.sum(axis=1), 1.0)


def test_reference_bank_is_fixed() -> None:
    a = reference_bank()
    b = reference_bank()
    assert len(a) == 5 and all(p.n_items == 500 for p in a)
    np.testing.assert_array_equal(a[3].b, b[3].b)
    # a = exp(N(log 1.5, 0.25)): the median is 1.5.
    assert np.median(np.concatenate([p.a for p in a])) == pytest.approx(1.5, abs=0.05)
