"""Bands, band probabilities, skill results and the multi-skill prior."""

from __future__ import annotations

import math

import numpy as np
import pytest

from langcert.psychometrics.classification import (
    band_index,
    band_probabilities,
    skill_result,
)
from langcert.psychometrics.estimation import GRID, normal_log_prior, posterior_on_grid
from langcert.psychometrics.prior import conditional_prior, equicorrelated, gaussian_message

CUTS = (-1.6, -0.8, 0.0, 0.8, 1.6)


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def test_band_index_edges() -> None:
    assert band_index([-2, -1.6, -0.1, 0.0, 1.7], CUTS).tolist() == [0, 1, 2, 3, 5]


def test_band_probabilities_of_a_normal_posterior() -> None:
    w = posterior_on_grid(np.zeros(GRID.size), normal_log_prior(GRID, 0.3, 0.4))
    probs = band_probabilities(w, CUTS)
    edges = [-np.inf, *CUTS, np.inf]
    exact = [_phi((hi - 0.3) / 0.4) - _phi((lo - 0.3) / 0.4)
             for lo, hi in zip(edges, edges[1:], strict=False)]
    np.testing.assert_allclose(probs, exact, atol=2e-4)
    assert probs.sum() == pytest.approx(1.0)


def test_skill_result_labels_and_probabilities() -> None:
    ll = -0.5 * ((GRID - 1.0) / 0.3) ** 2
    res = skill_result(ll, CUTS)
    assert res.level == "C1"  # EAP 0.917 lies in [0.8, 1.6)
    assert set(res.band_probabilities) == {"A1", "A2", "B1", "B2", "C1", "C2"}
    assert sum(res.band_probabilities.values()) == pytest.approx(1.0)
    assert max(res.band_probabilities, key=res.band_probabilities.get) == "C1"
    # Normal likelihood x normal prior: closed form.
    prec = 1 / 0.3**2 + 1
    assert res.theta == pytest.approx((1.0 / 0.3**2) / prec, abs=1e-6)
    assert res.se == pytest.approx(1 / math.sqrt(prec), abs=1e-6)


def test_conditional_prior_regression_formula() -> None:
    cov = equicorrelated(2, 0.8)
    # Skill 0 measured almost exactly at 1.0: skill 1 ~ N(0.8, 1 - 0.64).
    lam, h = np.array([[1e8, 0.0]]), np.array([[1e8, 0.0]])
    m, s = conditional_prior(np.zeros(2), cov, lam, h, 1)
    assert m[0] == pytest.approx(0.8, abs=1e-6)
    assert s[0] == pytest.approx(0.6, abs=1e-6)
    m, s = conditional_prior(np.zeros(2), cov, np.zeros((1, 2)), np.zeros((1, 2)), 1)
    assert m[0] == 0.0 and s[0] == pytest.approx(1.0)


def test_gaussian_message_divides_out_the_prior() -> None:
    lam, h = gaussian_message(0.5, 0.5, 0.0, 1.0)
    assert lam == pytest.approx(3.0) and h == pytest.approx(2.0)
    lam, h = gaussian_message(0.0, 1.2, 0.0, 1.0)  # wider than the prior: no information
    assert lam == 0.0 and h == 0.0


def test_web_flow_correlated_prior_from_stored_messages() -> None:
    from langcert.psychometrics.prior import message_from_log_lik

    # Skill 0 answered with a likelihood centred at 1.2 (SD 0.4).
    lam0, h0 = message_from_log_lik(-0.5 * ((GRID - 1.2) / 0.4) ** 2)
    assert lam0 == pytest.approx(1 / 0.16, rel=1e-3)
    assert h0 / lam0 == pytest.approx(1.2, abs=1e-3)
    lam = np.array([[lam0, 0.0, 0.0]])
    h = np.array([[h0, 0.0, 0.0]])
    m, s = conditional_prior(np.zeros(3), equicorrelated(3, 0.8), lam, h, 1)
    # Closed form: theta1 | x0 ~ N(0.8 * m0, 1 - 0.64 * r) with r = 1 / (1 + 0.16).
    r = 1 / 1.16
    assert m[0] == pytest.approx(0.8 * 1.2 * r, abs=1e-3)
    assert s[0] == pytest.approx(math.sqrt(1 - 0.64 * r), abs=1e-3)
