"""Bayesian lookahead selection: brute-force agreement, exposure, enemies, content."""

from __future__ import annotations

import json

import numpy as np
import pytest

from langcert.psychometrics.bank import make_pool
from langcert.psychometrics.estimation import GRID, normal_log_prior
from langcert.psychometrics.lookahead import (
    band_weights,
    current_loss,
    expected_loss,
    posterior_weights,
)
from langcert.psychometrics.selection import CatConfig, CatState, next_item, select_items
from langcert.psychometrics.simulation import generate_pool, reference_bank, run_skill

CUTS = np.array([-1.6, -0.8, 0.0, 0.8, 1.6])


def _small_bank():
    """Twelve hand-made 2PL items: weak and strong, at and between the cuts."""
    a = np.array([0.6, 2.2, 1.4, 1.8, 0.9, 2.0, 1.2, 2.4, 1.6, 0.7, 1.9, 1.1])
    b = np.array([0.0, 0.35, -0.8, 0.8, 0.4, -0.2, 1.6, 1.1, 0.1, -1.6, 0.55, 2.5])
    return make_pool(a, b)


def _brute_force(pool, log_post, loss):
    """Expected loss of each item by explicit loops on a fine grid (independent code)."""
    fine = np.linspace(-6, 6, 24001)
    post = np.exp(np.interp(fine, GRID, log_post) - log_post.max())
    out = []
    for i in range(pool.n_items):
        p1 = 1.0 / (1.0 + np.exp(-pool.a[i] * (fine - pool.b[i])))
        total = 0.0
        for lik in (1.0 - p1, p1):
            joint = post * lik
            bands = np.array([joint[(fine >= lo) & (fine < hi)].sum() for lo, hi in
                              zip(np.r_[-np.inf, CUTS], np.r_[CUTS, np.inf], strict=True)])
            bands /= post.sum()  # joint mass of (answer, band)
            pred = bands.sum()
            if loss == "misclass":
                total += pred - bands.max()
            else:
                total += pred - (bands * bands).sum() / pred
        out.append(total)
    return np.array(out)


@pytest.mark.parametrize("loss", ["misclass", "gini"])
@pytest.mark.parametrize(("mean", "sd"), [(0.3, 0.5), (0.75, 0.35), (-1.0, 0.8), (1.9, 0.4)])
def test_lookahead_picks_the_brute_force_minimiser(loss, mean, sd) -> None:
    pool = _small_bank()
    log_post = normal_log_prior(GRID, mean, sd)
    w = posterior_weights(log_post)[None, :]
    brute = _brute_force(pool, log_post, loss)
    got = select_items(pool, [mean], np.zeros((1, pool.n_items), bool),
                       np.random.default_rng(0), k=1, exposure=False, weights=w, cuts=CUTS,
                       lookahead=64, loss=loss).items[0]
    # The chosen item is the brute-force best (up to the fine grid's own error).
    assert brute[got] <= brute.min() + 2e-4
    # And the engine's losses match the brute force ones (grid step 0.1 vs fine grid).
    el = expected_loss(pool, w, np.arange(pool.n_items)[None, :], CUTS, loss)[0]
    np.testing.assert_allclose(el, brute, atol=5e-3)


def test_expected_loss_never_exceeds_the_current_loss() -> None:
    """An answer cannot make the Bayes risk worse in expectation."""
    pool = generate_pool(np.random.default_rng(1), 200)
    rng = np.random.default_rng(2)
    log_post = normal_log_prior(GRID, rng.normal(0, 1, 50), rng.uniform(0.2, 1.0, 50))
    w = posterior_weights(log_post)
    cand = np.tile(np.arange(200), (50, 1))
    for loss in ("misclass", "gini", "mixed"):
        el = expected_loss(pool, w, cand, CUTS, loss)
        assert np.all(el <= current_loss(w, CUTS, loss)[:, None] + 1e-12)


def test_band_weights_split_cells_at_the_cuts() -> None:
    bw = band_weights(CUTS)
    np.testing.assert_allclose(bw.sum(axis=1), 1.0)
    g0 = int(np.argmin(np.abs(GRID)))  # theta = 0 is a node and a cut
    np.testing.assert_allclose(bw[g0, 2:4], [0.5, 0.5])


def test_lookahead_respects_exposure_lottery() -> None:
    pool = _small_bank()
    w = posterior_weights(normal_log_prior(GRID, 0.3, 0.5))
    n = 6000
    best = select_items(pool, [0.3], np.zeros((1, pool.n_items), bool),
                        np.random.default_rng(0), k=1, exposure=False, weights=w[None, :],
                        cuts=CUTS, lookahead=64).items[0]
    k = np.ones((pool.n_items, 1))
    k[best] = 0.3
    pool = pool.with_exposure(k, [])
    sel = select_items(pool, np.full(n, 0.3), np.zeros((n, pool.n_items), bool),
                       np.random.default_rng(3), k=1, weights=np.tile(w, (n, 1)), cuts=CUTS,
                       lookahead=64)
    assert 0.27 < np.mean(sel.items == best) < 0.33
    assert np.all(sel.rejected_items == best)
    assert sel.rejected_rows.size == np.sum(sel.items != best)


def test_lookahead_never_gives_blocked_items_and_falls_back_when_short_list_is_empty() -> None:
    pool = _small_bank()
    w = posterior_weights(normal_log_prior(GRID, 0.3, 0.5))[None, :]
    blocked = np.ones((1, pool.n_items), bool)
    blocked[0, [0, 9]] = False
    for seed in range(20):
        got = select_items(pool, [0.3], blocked, np.random.default_rng(seed), k=2,
                           exposure=False, weights=w, cuts=CUTS, lookahead=4).items[0]
        assert got in (0, 9)
    all_blocked = np.ones((1, pool.n_items), bool)
    got = select_items(pool, [0.3], all_blocked, np.random.default_rng(0), k=1,
                       exposure=False, weights=w, cuts=CUTS, lookahead=4).items[0]
    assert got == -1


def test_lookahead_keeps_enemies_apart_and_meets_the_quota() -> None:
    pool = generate_pool(np.random.default_rng(4), 300, n_types=3, n_enemy_sets=60,
                         enemy_size=3)
    cfg = CatConfig(test_length=10, k=2, type_quota=(5, 3, 2), exposure=False, lookahead=16)
    rng = np.random.default_rng(5)
    n = 300
    excluded = np.zeros((n, pool.n_items), bool)
    excluded[:, :20] = True
    run = run_skill(pool, rng.normal(size=n), rng, cfg, cuts=CUTS, excluded=excluded)
    counts = np.stack([np.bincount(pool.item_type[row], minlength=3) for row in run.items])
    assert np.all(counts == [5, 3, 2])
    for row in run.items:
        assert row.min() >= 20 and np.unique(row).size == row.size
        sets = pool.enemies[row, 0]
        sets = sets[sets >= 0]
        assert sets.size == np.unique(sets).size, "two enemies in one test"


def test_lookahead_classifies_at_least_as_well_as_information_without_exposure() -> None:
    """A sanity check: within sampling noise of maximum information (4,000 examinees)."""
    pool = reference_bank()[0]
    theta = np.random.default_rng(7).normal(size=4000)
    exact = {}
    for name, cfg in (("info", CatConfig(k=1, exposure=False)),
                      ("lookahead", CatConfig(k=1, exposure=False, lookahead=16))):
        run = run_skill(pool, theta, np.random.default_rng(8), cfg, cuts=CUTS)
        post = posterior_weights(run.log_lik + normal_log_prior(GRID, 0.0, 1.0))
        band = (post @ band_weights(CUTS)).argmax(axis=1)
        exact[name] = np.mean(band == np.searchsorted(CUTS, theta, side="right"))
    assert exact["lookahead"] > exact["info"] - 0.02


def test_next_item_uses_the_lookahead_with_cuts_and_round_trips_state() -> None:
    pool = make_pool(np.full(60, 1.2), np.linspace(-3, 3, 60), item_ids=np.arange(1000, 1060),
                     enemies=np.repeat(np.arange(30), 2))
    cfg = CatConfig(test_length=6, k=1, lookahead=16, exposure=False)
    rng = np.random.default_rng(9)
    state = CatState(prior_mean=0.4, prior_sd=0.7)
    truth = 0.8
    while (item := next_item(pool, state, rng, cfg, cuts=list(CUTS))) is not None:
        i = pool.index_of([item])[0]
        if len(state.item_ids) == 0:
            w = posterior_weights(normal_log_prior(GRID, 0.4, 0.7))[None, :]
            want = select_items(pool, [0.4], np.zeros((1, 60), bool), np.random.default_rng(0),
                                k=1, exposure=False, weights=w, cuts=CUTS,
                                lookahead=16).items[0]
            assert i == want
        p = 1 / (1 + np.exp(-pool.a[i] * (truth - pool.b[i])))
        state.record(item, int(rng.random() < p))
        state = CatState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert len(state.item_ids) == 6
    pairs = pool.enemies[pool.index_of(state.item_ids), 0]
    assert len(set(pairs.tolist())) == len(pairs)
