"""Exposure prices on the lookahead's expected gain: ranking, jitter, calibration."""

from __future__ import annotations

import json

import numpy as np
import pytest

from langcert.psychometrics.bank import SkillPool, make_pool
from langcert.psychometrics.estimation import GRID, normal_log_prior
from langcert.psychometrics.exposure import calibrate_prices
from langcert.psychometrics.lookahead import current_loss, expected_loss, posterior_weights
from langcert.psychometrics.selection import CatConfig, select_items
from langcert.psychometrics.simulation import (
    REFERENCE_CUTS,
    Design,
    draw_abilities,
    generate_pool,
    run_battery,
)
from tests.psychometrics.test_exposure_and_simulation import (
    assert_exposure_held_on_fresh_candidates,
)

CUTS = np.array(REFERENCE_CUTS)


def _pool():
    a = np.array([0.6, 2.2, 1.4, 1.8, 0.9, 2.0, 1.2, 2.4, 1.6, 0.7, 1.9, 1.1])
    b = np.array([0.0, 0.35, -0.8, 0.8, 0.4, -0.2, 1.6, 1.1, 0.1, -1.6, 0.55, 2.5])
    return make_pool(a, b)


def _select(pool, n=1, mean=0.3, sd=0.5, jitter=0.0, seed=0):
    w = np.repeat(posterior_weights(normal_log_prior(GRID, mean, sd))[None, :], n, axis=0)
    return select_items(pool, np.full(n, mean), np.zeros((n, pool.n_items), bool),
                        np.random.default_rng(seed), k=1, exposure=False, weights=w,
                        cuts=CUTS, lookahead=64, jitter=jitter).items


def _gains(pool, mean=0.3, sd=0.5):
    w = posterior_weights(normal_log_prior(GRID, mean, sd))[None, :]
    el = expected_loss(pool, w, np.arange(pool.n_items)[None, :], CUTS, "gini")[0]
    return current_loss(w, CUTS, "gini")[0] - el


def test_prices_are_validated_and_kept_with_the_bank() -> None:
    pool = _pool()
    with pytest.raises(ValueError, match="one value per item"):
        pool.with_prices(np.zeros(3))
    with pytest.raises(ValueError, match=">= 0"):
        pool.with_prices(np.full(pool.n_items, -0.1))
    priced = pool.with_prices(np.linspace(0.0, 0.01, pool.n_items))
    back = SkillPool.from_dict(json.loads(json.dumps(priced.to_dict())))
    np.testing.assert_array_equal(back.exposure_price, priced.exposure_price)
    assert SkillPool.from_dict(pool.to_dict()).exposure_price is None


def test_a_price_moves_the_choice_to_the_next_best_gain() -> None:
    pool = _pool()
    gains = _gains(pool)
    first, second = np.argsort(-gains)[:2]
    assert _select(pool)[0] == first
    # A price just above the gap between the two best gains hands the choice over ...
    prices = np.zeros(pool.n_items)
    prices[first] = gains[first] - gains[second] + 1e-6
    assert _select(pool.with_prices(prices))[0] == second
    # ... and one just below it does not.
    prices[first] = gains[first] - gains[second] - 1e-6
    assert _select(pool.with_prices(prices))[0] == first


def test_jitter_spreads_candidates_in_the_same_state_over_near_equal_items() -> None:
    pool = _pool()
    assert np.unique(_select(pool, n=500)).size == 1
    spread = _select(pool, n=500, jitter=0.3)
    counts = np.bincount(spread, minlength=pool.n_items)
    assert (counts > 0).sum() >= 2
    # Still the best item most often: the noise only matters between near-equals.
    assert counts.argmax() == np.argmax(_gains(pool))


def test_calibrated_prices_keep_exposure_under_target_in_a_fresh_simulation() -> None:
    rng = np.random.default_rng(21)
    pools = [generate_pool(rng, 150, id_offset=1000 * s) for s in range(2)]
    design = Design(CatConfig(k=1, test_length=8, rule="cut", exposure=False, lookahead=16,
                              jitter=0.05), correlated_prior=True, augment=True,
                    decision="mode", priced=True)

    def runner(ps, seed):
        r = np.random.default_rng(300 + seed)
        th = draw_abilities(r, 1200, len(ps))
        return run_battery(ps, th, r, design), th

    free = run_battery(pools, draw_abilities(np.random.default_rng(2), 1200, 2),
                       np.random.default_rng(2), design)
    assert max(np.bincount(r.items.ravel()).max() for r in free) / 1200 > 0.5
    priced, report = calibrate_prices(pools, runner, r_total=0.2, n_iter=16, settle=5)
    assert all(len(h) == 16 for h in report.max_unconditional)
    assert_exposure_held_on_fresh_candidates(priced, design)
