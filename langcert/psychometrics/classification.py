"""Per-skill result: theta, SE, CEFR level and the probability of each band.

Bands are defined by ascending cut scores ``cuts = [k_1 .. k_{B-1}]``: band ``j``
is ``k_j <= theta < k_{j+1}`` (with ``k_0 = -inf`` and ``k_B = +inf``).  The engine
maps band indices to whatever labels the caller gives (e.g. A1..C2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .estimation import GRID, GRID_MAX, GRID_MIN, eap_from_grid, normal_log_prior, posterior_on_grid

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

CEFR_LABELS: tuple[str, ...] = ("A1", "A2", "B1", "B2", "C1", "C2")

_H = (GRID_MAX - GRID_MIN) / (GRID.size - 1)


@dataclass(frozen=True)
class SkillResult:
    """Result of one skill.

    Attributes:
        theta: EAP ability.
        se: posterior standard deviation.
        level: the reported label.
        band_probabilities: posterior probability of each label (sums to 1).
    """

    theta: float
    se: float
    level: str
    band_probabilities: dict[str, float]


def band_index(theta: ArrayLike, cuts: ArrayLike) -> IntArray:
    """Band of each theta: the number of cuts at or below it."""
    return np.searchsorted(np.asarray(cuts, float), np.asarray(theta, float), side="right")


def band_probabilities(weights: FloatArray, cuts: ArrayLike) -> FloatArray:
    """Posterior probability of each band from grid weights ``(..., G)``, shape ``(..., B)``.

    The log posterior is interpolated linearly between nodes (it is smooth and
    close to quadratic), and ``exp`` of it is integrated exactly on each piece:
    over ``[t_g, t_g + d]`` with slope ``s = (l_{g+1} - l_g) / h`` the mass is
    ``exp(l_g) (exp(s d) - 1) / s``.  Cuts then fall anywhere, not only on nodes.
    """
    cuts_ = np.asarray(cuts, dtype=np.float64)
    logw = np.log(np.maximum(weights, 1e-300))
    top = logw.max(axis=-1, keepdims=True)
    lw = logw - top
    slope = np.diff(lw, axis=-1) / _H  # (..., G-1)

    def piece(start: FloatArray, s: FloatArray, d: ArrayLike) -> FloatArray:
        sd = s * d
        small = np.abs(sd) < 1e-8
        safe = np.where(small, 1.0, s)
        return np.exp(start) * np.where(small, d, np.expm1(sd) / safe)

    mass = piece(lw[..., :-1], slope, _H)
    cum = np.concatenate([np.zeros(mass.shape[:-1] + (1,)), np.cumsum(mass, axis=-1)], -1)
    pos = np.clip((cuts_ - GRID_MIN) / _H, 0.0, GRID.size - 1 - 1e-12)
    g = np.floor(pos).astype(np.int64)
    d = (pos - g) * _H
    cdf = np.take(cum, g, axis=-1) + piece(np.take(lw, g, axis=-1), np.take(slope, g, axis=-1), d)
    total = cum[..., -1:]
    full = np.concatenate([np.zeros_like(total), cdf, total], axis=-1) / total
    return np.maximum(np.diff(full, axis=-1), 0.0)


def decide_band(
    theta: FloatArray, probs: FloatArray, cuts: ArrayLike, rule: str = "eap"
) -> IntArray:
    """Reported band: ``"eap"`` = band of the EAP; ``"mode"`` = most probable band.

    The most probable band is the Bayes decision under 0-1 loss: it maximises the
    expected rate of exact classification given the model and prior.
    """
    if rule == "eap":
        return band_index(theta, cuts)
    if rule == "mode":
        return np.argmax(probs, axis=-1)
    raise ValueError(f"unknown decision rule {rule!r}")


def skill_result(
    log_lik: FloatArray,
    cuts: Sequence[float],
    labels: Sequence[str] = CEFR_LABELS,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    rule: str = "eap",
) -> SkillResult:
    """Theta, SE, level and band probabilities from a log-likelihood on ``GRID``.

    ``log_lik`` comes from :func:`.selection.log_lik_grid`; the prior is normal (pass
    the conditional prior from :mod:`.prior` to use other skills).
    """
    if len(labels) != len(cuts) + 1:
        raise ValueError("need exactly one more label than cut scores")
    lp = normal_log_prior(GRID, prior_mean, prior_sd)
    mean, sd = eap_from_grid(log_lik, lp)
    probs = band_probabilities(posterior_on_grid(log_lik, lp), cuts)
    band = int(decide_band(np.asarray(mean), probs, cuts, rule))
    return SkillResult(
        theta=float(mean),
        se=float(sd),
        level=labels[band],
        band_probabilities={lab: float(p) for lab, p in zip(labels, probs, strict=True)},
    )
