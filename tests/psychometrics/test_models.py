"""Probabilities and information against values worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from langcert.psychometrics.models import (
    category_probs_elementwise,
    gpcm_info,
    gpcm_probs,
    info_3pl,
    item_information,
    prob_3pl,
)
from langcert.psychometrics.models import (
    test_information as total_information,
)


def test_2pl_at_difficulty_is_half_and_information_is_a2_over_4() -> None:
    assert prob_3pl(0.7, 1.3, 0.7)[0] == pytest.approx(0.5)
    assert info_3pl(0.7, 1.3, 0.7)[0] == pytest.approx(1.3**2 / 4)


def test_3pl_by_hand() -> None:
    # a = 1.2, b = 0.5, c = 0.2, theta = 1: z = 0.6, P* = 1 / (1 + e^-0.6)
    p_star = 1 / (1 + math.exp(-0.6))
    p = 0.2 + 0.8 * p_star
    assert prob_3pl(1.0, 1.2, 0.5, 0.2)[0] == pytest.approx(p)
    # Birnbaum: I = a^2 (Q / P) ((P - c) / (1 - c))^2
    expected = 1.2**2 * ((1 - p) / p) * ((p - 0.2) / 0.8) ** 2
    assert info_3pl(1.0, 1.2, 0.5, 0.2)[0] == pytest.approx(expected)


def test_information_is_squared_slope_over_pq_numerically() -> None:
    a, b, c = np.array([0.7, 1.9]), np.array([-0.4, 1.1]), np.array([0.15, 0.0])
    t, h = 0.3, 1e-6
    dp = (prob_3pl(t + h, a, b, c) - prob_3pl(t - h, a, b, c)) / (2 * h)
    p = prob_3pl(t, a, b, c)
    np.testing.assert_allclose(info_3pl(t, a, b, c), dp**2 / (p * (1 - p)), rtol=1e-6)


def test_shapes_are_theta_by_items() -> None:
    theta = np.linspace(-2, 2, 7)
    assert prob_3pl(theta, np.ones(4), np.zeros(4), np.zeros(4)).shape == (7, 4)
    assert total_information(theta, np.ones(4), np.zeros(4)).shape == (7,)
    np.testing.assert_allclose(
        total_information(theta, np.ones(4), np.zeros(4)), 4 * info_3pl(theta, 1, 0)[:, 0]
    )


def test_gpcm_by_hand() -> None:
    # a = 1, steps (-1, 1), theta = 0: exponents 0, 0-(-1) = 1, 1 + (0 - 1) = 0.
    p = gpcm_probs(0.0, [1.0], [[-1.0, 1.0]])[0]
    e = np.exp([0.0, 1.0, 0.0])
    np.testing.assert_allclose(p, e / e.sum())
    mean = p @ [0, 1, 2]
    var = p @ [0, 1, 4] - mean**2
    assert gpcm_info(0.0, [1.0], [[-1.0, 1.0]])[0] == pytest.approx(var)


def test_gpcm_with_one_step_is_the_2pl() -> None:
    theta = np.linspace(-3, 3, 13)
    p = gpcm_probs(theta, [1.4], [[0.3]])[:, 0, 1]
    np.testing.assert_allclose(p, prob_3pl(theta, 1.4, 0.3)[:, 0])
    np.testing.assert_allclose(gpcm_info(theta, [1.4], [[0.3]])[:, 0],
                               info_3pl(theta, 1.4, 0.3)[:, 0])


def test_mixed_bank_information_and_padding() -> None:
    steps = np.array([[0.2, np.nan], [-0.5, 0.5]])
    info = item_information(np.array([0.0]), [1.0, 1.0], [0.2, 0.0], [0.0, 0.0], steps)
    assert info[0, 0] == pytest.approx(info_3pl(0.0, 1.0, 0.2)[0])
    assert info[0, 1] == pytest.approx(gpcm_info(0.0, [1.0], [[-0.5, 0.5]])[0])
    p = gpcm_probs(0.0, [1.0, 1.0], steps)
    assert p[0, 2] == 0.0 and p[0].sum() == pytest.approx(1.0)


def test_elementwise_probabilities_sum_to_one() -> None:
    steps = np.array([[0.1, np.nan, np.nan], [-1.0, 0.0, 1.0]])
    p = category_probs_elementwise(np.array([0.3, -0.2]), np.array([1.0, 1.2]),
                                   np.array([0.1, 0.0]), np.array([0.2, 0.0]), steps)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p[0, 1] == pytest.approx(prob_3pl(0.3, 1.0, 0.1, 0.2)[0])
