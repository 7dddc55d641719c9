"""Item selection: maximum information, randomesque, content, enemies, pretest, state."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from langcert.psychometrics.bank import make_pool
from langcert.psychometrics.models import info_3pl
from langcert.psychometrics.selection import (
    CatConfig,
    CatState,
    allowed_types,
    estimate_state,
    next_item,
    select_items,
)
from langcert.psychometrics.simulation import generate_pool, run_skill


def _pool(n=300, seed=0, **kw):
    return generate_pool(np.random.default_rng(seed), n, **kw)


def test_plain_maximum_information_picks_the_argmax() -> None:
    pool = _pool(guessing=0.1)
    rng = np.random.default_rng(1)
    for theta in (-2.3, -0.41, 0.0, 0.77, 2.9):
        blocked = np.zeros((1, pool.n_items), bool)
        blocked[0, :50] = True
        got = select_items(pool, [theta], blocked, rng, k=1, exposure=False).items[0]
        info = info_3pl(theta, pool.a, pool.b, pool.c).copy()
        info[:50] = -np.inf
        assert got == int(np.argmax(info))


@settings(max_examples=40, deadline=None)
@given(st.floats(-5, 5), st.integers(0, 2**31 - 1), st.integers(1, 8))
def test_property_short_list_equals_full_scan(theta, seed, k) -> None:
    """The short-list fast path draws from exactly the top-k of the whole pool."""
    pool = _pool(400, seed=seed % 7, n_types=2)
    rng = np.random.default_rng(seed)
    blocked = rng.random((1, pool.n_items)) < 0.3
    allowed = np.array([[True, seed % 2 == 0]])
    info = info_3pl(theta, pool.a, pool.b, pool.c).copy()
    info[blocked[0] | ~allowed[0, pool.item_type]] = -np.inf
    top = set(np.argsort(-info)[:k].tolist())
    for _ in range(5):
        got = select_items(pool, [theta], blocked, rng, k=k, type_allowed=allowed,
                           exposure=False).items[0]
        assert int(got) in top


def test_randomesque_spreads_over_top_k() -> None:
    pool = _pool()
    rng = np.random.default_rng(2)
    blocked = np.zeros((4000, pool.n_items), bool)
    got = select_items(pool, np.zeros(4000), blocked, rng, k=4, exposure=False).items
    top4 = np.argsort(-info_3pl(0.0, pool.a, pool.b, pool.c))[:4]
    assert set(np.unique(got)) == set(top4.tolist())
    assert np.bincount(got, minlength=pool.n_items)[top4].min() > 850


def test_sympson_hetter_lottery_rejects_and_reports() -> None:
    pool = _pool()
    top = int(np.argmax(info_3pl(0.0, pool.a, pool.b, pool.c)))
    k = np.ones((pool.n_items, 1))
    k[top] = 0.25
    pool = pool.with_exposure(k, [])
    sel = select_items(pool, np.zeros(8000), np.zeros((8000, pool.n_items), bool),
                       np.random.default_rng(3), k=1)
    rate = np.mean(sel.items == top)
    assert 0.22 < rate < 0.28
    assert np.all(sel.rejected_items == top)
    assert sel.rejected_rows.size == np.sum(sel.items != top)


def test_content_quota_is_met_exactly() -> None:
    pool = _pool(600, n_types=3)
    cfg = CatConfig(test_length=10, k=3, type_quota=(5, 3, 2), exposure=False)
    run = run_skill(pool, np.random.default_rng(4).normal(size=300), np.random.default_rng(5), cfg)
    counts = np.stack([np.bincount(pool.item_type[row], minlength=3) for row in run.items])
    assert np.all(counts == [5, 3, 2])


def test_allowed_types_reopens_when_all_quotas_met() -> None:
    out = allowed_types(np.array([[2, 1], [1, 1], [2, 2]]), np.array([2, 1]), 2)
    assert out.tolist() == [[True, True], [True, False], [True, True]]


def test_enemies_are_never_together_and_seen_items_are_excluded() -> None:
    pool = _pool(200, n_enemy_sets=40, enemy_size=3)
    n = 500
    rng = np.random.default_rng(6)
    excluded = np.zeros((n, pool.n_items), bool)
    excluded[:, :20] = True  # seen in an earlier attempt
    run = run_skill(pool, rng.normal(size=n), rng, CatConfig(test_length=15, k=5,
                                                             exposure=False), excluded=excluded)
    for row in run.items:
        assert row.min() >= 20
        sets = pool.enemies[row, 0]
        sets = sets[sets >= 0]
        assert sets.size == np.unique(sets).size, "two enemies in one test"


def test_pretest_items_are_seeded_and_unscored() -> None:
    pool = _pool(200, n_pretest=30)
    cfg = CatConfig(test_length=10, k=2, pretest_positions=(3, 7), exposure=False)
    rng = np.random.default_rng(7)
    run = run_skill(pool, rng.normal(size=200), rng, cfg)
    assert run.items.shape[1] == 12
    assert np.all(pool.is_pretest[run.items[:, [3, 7]]])
    assert not np.any(pool.is_pretest[run.items[:, run.scored]])
    assert run.scored.sum() == 10


def test_per_request_api_round_trips_json_state() -> None:
    pool = make_pool(np.full(60, 1.2), np.linspace(-3, 3, 60), item_ids=np.arange(1000, 1060),
                     enemies=np.repeat(np.arange(30), 2), is_pretest=np.arange(60) % 15 == 0)
    rng = np.random.default_rng(8)
    cfg = CatConfig(test_length=6, k=2, pretest_positions=(2,))
    state = CatState()
    truth = 0.8
    while (item := next_item(pool, state, rng, cfg, excluded_ids=[1030])) is not None:
        i = pool.index_of([item])[0]
        p = 1 / (1 + np.exp(-pool.a[i] * (truth - pool.b[i])))
        state.record(item, int(rng.random() < p), scored=not pool.is_pretest[i])
        state = CatState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert len(state.item_ids) == 7 and sum(state.scored) == 6
    assert 1030 not in state.item_ids
    assert not state.scored[2] and pool.is_pretest[pool.index_of([state.item_ids[2]])[0]]
    pairs = pool.enemies[pool.index_of(state.item_ids), 0]
    assert len(set(pairs.tolist())) == len(pairs)
    est = estimate_state(pool, state)
    assert -4 < est.theta < 4 and 0 < est.se < 1


def test_pool_json_round_trip_keeps_exposure() -> None:
    pool = _pool(50, n_types=2).with_exposure(np.full((50, 3), 0.5), [-1.0, 1.0])
    back = type(pool).from_dict(json.loads(json.dumps(pool.to_dict())))
    np.testing.assert_array_equal(back.sh_k, pool.sh_k)
    np.testing.assert_array_equal(back.a, pool.a)
    np.testing.assert_array_equal(back.item_type, pool.item_type)
