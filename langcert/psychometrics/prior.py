"""Borrowing strength across skills: correlated priors and subscore augmentation.

Abilities on the S skills are taken as multivariate normal ``N(mu, Sigma)``.  Each
finished skill contributes its likelihood, approximated by a Gaussian "message"
in information form (precision ``lam``, shift ``h``): its posterior under the
marginal prior ``N(mu_s, Sigma_ss)`` is moment-matched to ``N(m, v)`` and the prior
divided out,

    lam = 1/v - 1/Sigma_ss,    h = m/v - mu_s/Sigma_ss.

The conditional prior of skill ``s`` given the messages of the other skills is
the ``s`` marginal of ``N(mu, Sigma)`` times those messages:

    P = Sigma^-1 + diag(lam_{-s}),   eta = Sigma^-1 mu + h_{-s},
    prior_s = N((P^-1 eta)_s, (P^-1)_ss).

Used before a skill starts (messages of the skills already taken) it is the
*correlated prior*; used at the end with all other skills it gives the
*augmented* score, whose own likelihood is then integrated exactly on the grid.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def equicorrelated(n_skills: int, rho: float, sd: float = 1.0) -> FloatArray:
    """Covariance ``sd^2`` on the diagonal and ``rho sd^2`` off it."""
    r = np.full((n_skills, n_skills), rho)
    np.fill_diagonal(r, 1.0)
    return r * sd * sd


def gaussian_message(
    post_mean: ArrayLike, post_sd: ArrayLike, prior_mean: ArrayLike, prior_sd: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Likelihood message ``(lam, h)`` from a posterior ``N(m, v)`` under prior ``N(mu0, s0^2)``.

    ``lam = 1/v - 1/s0^2`` (kept >= 0: a skill cannot remove information),
    ``h = m/v - mu0/s0^2``.
    """
    v = np.asarray(post_sd, float) ** 2
    v0 = np.asarray(prior_sd, float) ** 2
    lam = 1.0 / v - 1.0 / v0
    h = np.asarray(post_mean, float) / v - np.asarray(prior_mean, float) / v0
    weak = lam <= 1e-9
    return np.where(weak, 0.0, lam), np.where(weak, 0.0, h)


def conditional_prior(
    mu: ArrayLike, cov: ArrayLike, lam: ArrayLike, h: ArrayLike, skill: int
) -> tuple[FloatArray, FloatArray]:
    """Mean and SD of skill ``skill`` given the messages of every *other* skill.

    ``lam`` and ``h`` are ``(N, S)``; entries for skills without data must be 0 (the
    entry of ``skill`` itself is ignored).  Returns two ``(N,)`` arrays.
    """
    mu_ = np.asarray(mu, float)
    prec0 = np.linalg.inv(np.asarray(cov, float))
    lam_ = np.atleast_2d(np.asarray(lam, float)).copy()
    h_ = np.atleast_2d(np.asarray(h, float)).copy()
    lam_[:, skill] = 0.0
    h_[:, skill] = 0.0
    n, s = lam_.shape
    p = np.broadcast_to(prec0, (n, s, s)).copy()
    p[:, np.arange(s), np.arange(s)] += lam_
    eta = prec0 @ mu_ + h_
    # Solve P x = [eta, e_skill] at once: x[..., 0] is the mean, x[skill, 1] the variance.
    rhs = np.zeros((n, s, 2))
    rhs[:, :, 0] = eta
    rhs[:, skill, 1] = 1.0
    x = np.linalg.solve(p, rhs)
    return x[:, skill, 0], np.sqrt(x[:, skill, 1])


def message_from_log_lik(log_lik: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Gaussian message ``(lam, h)`` of a skill's grid log-likelihood (marginal prior N(0, 1)).

    For the web flow: after a skill ends, store ``message_from_log_lik(log_lik_grid(...))``;
    before the next skill starts, pass the stored messages to :func:`conditional_prior` and
    put the result in the new skill's ``CatState.prior_mean`` / ``prior_sd``.
    """
    from .estimation import GRID, eap_from_grid, normal_log_prior

    m, sd = eap_from_grid(np.asarray(log_lik, float), normal_log_prior(GRID, 0.0, 1.0))
    return gaussian_message(m, sd, 0.0, 1.0)
