"""Ability estimation against hand-worked values, brute force, catsim and mirt."""

from __future__ import annotations

import math

import numpy as np
import pytest
from catsim.estimation.numerical import NumericalSearchEstimator
from catsim.item_bank import ItemBank
from hypothesis import given, settings
from hypothesis import strategies as st
from mirt import fscores
from mirt.models.dichotomous import ThreeParameterLogistic, TwoParameterLogistic

from langcert.psychometrics.estimation import (
    DEFAULT_BOUNDS,
    eap,
    estimate_all,
    log_likelihood,
    map_estimate,
    mle,
    wle,
)
from langcert.psychometrics.models import test_information as total_information


def test_log_likelihood_by_hand(items3) -> None:
    a, b, c = items3
    # theta = 0: P1 = 0.5, P2 = 0.2 + 0.8 / (1 + e^1.5), P3 = 0.1 + 0.9 / (1 + e^-0.8)
    p1 = 0.5
    p2 = 0.2 + 0.8 / (1 + math.exp(1.5))
    p3 = 0.1 + 0.9 / (1 + math.exp(-0.8))
    expected = math.log(p1) + math.log(1 - p2) + math.log(p3)
    assert log_likelihood(0.0, [1, 0, 1], a, b, c)[0] == pytest.approx(expected)


def test_missing_responses_are_ignored(items3) -> None:
    a, b, c = items3
    full = log_likelihood([0.3], [1, -1, 0], a, b, c)
    part = log_likelihood([0.3], [1, 0], a[[0, 2]], b[[0, 2]], c[[0, 2]])
    assert full[0] == pytest.approx(part[0])


def test_three_item_eap_by_brute_force_integration(items3) -> None:
    a, b, c = items3
    t = np.linspace(-10, 10, 200_001)
    p = c + (1 - c) / (1 + np.exp(-a * (t[:, None] - b)))
    like = p[:, 0] * (1 - p[:, 1]) * p[:, 2]
    dens = like * np.exp(-0.5 * t * t)
    mean = np.trapezoid(t * dens, t) / np.trapezoid(dens, t)
    sd = math.sqrt(np.trapezoid((t - mean) ** 2 * dens, t) / np.trapezoid(dens, t))
    est = eap([1, 0, 1], a, b, c)
    assert est.theta == pytest.approx(mean, abs=1e-6)
    assert est.se == pytest.approx(sd, abs=1e-6)


def test_eap_se_is_honest_at_fifty_items() -> None:
    rng = np.random.default_rng(3)
    a, b = np.exp(rng.normal(np.log(1.5), 0.25, 50)), rng.normal(0, 0.5, 50)
    x = (rng.random(50) < 1 / (1 + np.exp(-a * (0.4 - b)))).astype(int)
    t = np.linspace(-8, 8, 400_001)
    ll = np.sum(np.where(x, np.log(1 / (1 + np.exp(-a * (t[:, None] - b)))),
                         np.log(1 - 1 / (1 + np.exp(-a * (t[:, None] - b))))), axis=1)
    dens = np.exp(ll - ll.max() - 0.5 * t * t)
    mean = np.trapezoid(t * dens, t) / np.trapezoid(dens, t)
    sd = math.sqrt(np.trapezoid((t - mean) ** 2 * dens, t) / np.trapezoid(dens, t))
    est = eap(x, a, b)
    assert est.se < 0.25
    assert est.theta == pytest.approx(mean, abs=1e-6)
    assert est.se == pytest.approx(sd, rel=1e-5)


def _mirt_model(a, b, c=None):
    if c is None:
        m = TwoParameterLogistic(n_items=len(a))
        m.set_parameters(discrimination=np.asarray(a), difficulty=np.asarray(b))
    else:
        m = ThreeParameterLogistic(n_items=len(a))
        m.set_parameters(discrimination=np.asarray(a), difficulty=np.asarray(b),
                         guessing=np.asarray(c))
    m._is_fitted = True  # parameters are given, not fitted (mirt does the same internally)
    return m


PATTERNS3 = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 1], [0, 0, 0], [1, 1, 0]])


def test_eap_matches_mirt_3pl(items3) -> None:
    a, b, c = items3
    ref = fscores(_mirt_model(a, b, c), PATTERNS3, method="EAP")
    ours = eap(PATTERNS3, a, b, c)
    np.testing.assert_allclose(ours.theta, ref.theta.ravel(), atol=1e-3)
    np.testing.assert_allclose(ours.se, ref.standard_error.ravel(), atol=1e-3)


def test_eap_map_wle_match_mirt_2pl(items2pl) -> None:
    a, b = items2pl
    rng = np.random.default_rng(1)
    x = (rng.random((20, a.size)) < 0.5).astype(int)
    x[0] = 1
    x[1] = 0
    model = _mirt_model(a, b)
    for ours, method in ((eap(x, a, b), "EAP"), (map_estimate(x, a, b), "MAP"),
                         (wle(x, a, b, bounds=(-6, 6)), "WLE")):
        ref = fscores(model, x, method=method)
        np.testing.assert_allclose(ours.theta, ref.theta.ravel(), atol=1e-3, err_msg=method)
        np.testing.assert_allclose(ours.se, ref.standard_error.ravel(), atol=1e-3, err_msg=method)


def test_mle_matches_catsim(items2pl) -> None:
    a, b = items2pl
    bank = ItemBank(np.column_stack([a, b, np.zeros_like(a), np.ones_like(a)]))
    estimator = NumericalSearchEstimator(method="bounded")
    rng = np.random.default_rng(7)
    for _ in range(15):
        x = (rng.random(a.size) < 0.5).astype(int)
        if x.min() == x.max():
            continue
        ref = estimator.estimate(item_bank=bank, administered_items=list(range(a.size)),
                                 response_vector=[bool(v) for v in x], est_theta=0.0)
        assert mle(x, a, b).theta == pytest.approx(ref, abs=1e-3)


def test_mle_matches_catsim_3pl(items3) -> None:
    a, b, c = items3
    bank = ItemBank(np.column_stack([a, b, c, np.ones(3)]))
    ref = NumericalSearchEstimator(method="bounded").estimate(
        item_bank=bank, administered_items=[0, 1, 2], response_vector=[True, False, True],
        est_theta=0.0)
    assert mle([1, 0, 1], a, b, c).theta == pytest.approx(ref, abs=1e-3)


def test_mle_extreme_patterns_go_to_the_bounds_with_finite_se(items2pl) -> None:
    a, b = items2pl
    hi = mle(np.ones(a.size, int), a, b)
    lo = mle(np.zeros(a.size, int), a, b)
    assert hi.theta == DEFAULT_BOUNDS[1] and lo.theta == DEFAULT_BOUNDS[0]
    assert math.isfinite(hi.se) and math.isfinite(lo.se)
    assert hi.se == pytest.approx(1 / math.sqrt(total_information(4.0, a, b)))


def test_wle_is_finite_and_inside_for_extreme_2pl_patterns(items2pl) -> None:
    a, b = items2pl
    hi = wle(np.ones(a.size, int), a, b)
    lo = wle(np.zeros(a.size, int), a, b)
    assert DEFAULT_BOUNDS[0] < lo.theta < 0 < hi.theta < DEFAULT_BOUNDS[1]


def test_wle_solves_warms_equation() -> None:
    a, b, c = np.array([1.0, 1.4, 0.9, 2.0]), np.array([-1.0, 0.0, 0.5, 1.0]), np.full(4, 0.15)
    x = np.array([1, 1, 0, 0])
    t = wle(x, a, b, c).theta
    h = 1e-5

    def p(th):
        return c + (1 - c) / (1 + np.exp(-a * (th - b)))

    d1 = (p(t + h) - p(t - h)) / (2 * h)
    d2 = (p(t + h) - 2 * p(t) + p(t - h)) / h**2
    pt = p(t)
    score = np.sum((x - pt) * d1 / (pt * (1 - pt)))
    info = np.sum(d1**2 / (pt * (1 - pt)))
    j = np.sum(d1 * d2 / (pt * (1 - pt)))
    assert score + j / (2 * info) == pytest.approx(0.0, abs=1e-5)


def test_map_is_the_posterior_mode(items3) -> None:
    a, b, c = items3
    t = np.linspace(-4, 4, 80_001)
    lp = log_likelihood(t, [1, 0, 1], a, b, c) - 0.5 * t * t
    assert map_estimate([1, 0, 1], a, b, c).theta == pytest.approx(t[np.argmax(lp)], abs=1e-4)


def test_polytomous_items_are_estimated() -> None:
    a = np.array([1.0, 1.2])
    steps = np.array([[-1.0, 0.0, 1.0], [0.5, np.nan, np.nan]])
    res = estimate_all(np.array([2, 1]), a, np.array([0.0, 0.5]), None, steps)
    t = np.linspace(-6, 6, 120_001)
    ll = log_likelihood(t, [2, 1], a, [0.0, 0.5], None, steps)
    dens = np.exp(ll - ll.max() - 0.5 * t * t)
    assert res["eap"].theta == pytest.approx(np.sum(t * dens) / np.sum(dens), abs=1e-5)
    assert res["mle"].theta == pytest.approx(t[np.argmax(ll)], abs=1e-3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=1, max_size=12), st.integers(0, 10_000))
def test_property_estimates_are_finite_and_ordered(pattern, seed) -> None:
    rng = np.random.default_rng(seed)
    n = len(pattern)
    a, b = np.exp(rng.normal(0.2, 0.4, n)), rng.normal(0, 1.5, n)
    x = np.array(pattern)
    res = estimate_all(x, a, b)
    for est in res.values():
        assert math.isfinite(est.theta) and math.isfinite(est.se) and est.se > 0
    assert -4.0 <= res["mle"].theta <= 4.0
    # Shrinkage (log-concave 2PL likelihood): the MAP lies between 0 and the MLE.
    assert abs(res["map"].theta) <= abs(res["mle"].theta) + 1e-9
    assert res["map"].theta * res["mle"].theta >= -1e-12
    assert res["eap"].se <= 1.0 + 1e-9


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=2, max_size=12), st.integers(0, 10_000))
def test_property_a_right_answer_never_lowers_the_estimate(pattern, seed) -> None:
    rng = np.random.default_rng(seed)
    n = len(pattern)
    a, b = np.exp(rng.normal(0.2, 0.4, n)), rng.normal(0, 1.5, n)
    x = np.array(pattern)
    if x.min() == 1:
        return
    better = x.copy()
    better[np.flatnonzero(x == 0)[0]] = 1
    for f in (eap, map_estimate, mle, wle):
        assert f(better, a, b).theta >= f(x, a, b).theta - 1e-9
