"""Item response models: probabilities and Fisher information, vectorised.

Conventions used throughout the engine (no scaling constant, D = 1):

* ``theta`` has shape ``(T,)`` (or any shape ending in an axis that broadcasts
  against the item axis); item parameter arrays have shape ``(I,)``.  Functions
  return ``(T, I)`` when given a 1-D ``theta`` and 1-D item arrays.
* Dichotomous items follow the three-parameter logistic model

      P(theta) = c + (1 - c) / (1 + exp(-a (theta - b)))

  with the 2PL as ``c = 0`` and the 1PL as ``c = 0`` and a common ``a``.
* Items scored in steps (word bank, reordering, multi-gap) follow the
  generalised partial credit model (Muraki, 1992) with ``m`` steps ``d_1..d_m``:

      P_k(theta) = exp(sum_{v<=k} a (theta - d_v)) / sum_{h=0}^{m} exp(sum_{v<=h} a (theta - d_v))

  for scores ``k = 0..m`` (the empty sum is 0).  Step arrays are ``(I, M)``
  padded with NaN for items with fewer than ``M`` steps.  A GPCM item with one
  step ``d_1 = b`` is exactly the 2PL item ``(a, b)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

# Probabilities are kept away from 0 and 1 so that logs stay finite.
_EPS = 1e-12


def _grid(theta: ArrayLike) -> FloatArray:
    """Return theta as a column so that it broadcasts against the item axis."""
    t = np.asarray(theta, dtype=np.float64)
    return t[..., None]


def prob_3pl(theta: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike = 0.0) -> FloatArray:
    """Probability of a correct answer, ``P = c + (1 - c) / (1 + exp(-a (theta - b)))``.

    Returns shape ``theta.shape + (I,)``.
    """
    a_ = np.asarray(a, dtype=np.float64)
    b_ = np.asarray(b, dtype=np.float64)
    c_ = np.asarray(c, dtype=np.float64)
    z = a_ * (_grid(theta) - b_)
    # 0.5 * (1 + tanh(z / 2)) is the logistic without overflow warnings.
    p_star = 0.5 * (1.0 + np.tanh(0.5 * z))
    return c_ + (1.0 - c_) * p_star


def info_3pl(theta: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike = 0.0) -> FloatArray:
    """Fisher information of a 3PL item.

    ``I(theta) = a^2 (Q / P) ((P - c) / (1 - c))^2`` (Birnbaum), which reduces to
    ``a^2 P Q`` for the 2PL.  Returns shape ``theta.shape + (I,)``.
    """
    a_ = np.asarray(a, dtype=np.float64)
    c_ = np.asarray(c, dtype=np.float64)
    p = prob_3pl(theta, a_, b, c_)
    p_star = (p - c_) / (1.0 - c_)
    # (P - c) / (1 - c) is P*, so the formula is a^2 P*^2 Q / P; guard P -> 0 (c = 0, far left).
    q = 1.0 - p
    return a_**2 * p_star**2 * q / np.maximum(p, _EPS)


def gpcm_probs(theta: ArrayLike, a: ArrayLike, steps: ArrayLike) -> FloatArray:
    """Category probabilities of GPCM items.

    ``steps`` is ``(I, M)`` with NaN padding; the result is ``theta.shape + (I, M + 1)``
    with exact zeros for categories an item does not have.

    ``P_k = exp(z_k - logsumexp(z))`` with ``z_k = a (k theta - sum_{v<=k} d_v)``.
    """
    a_ = np.asarray(a, dtype=np.float64)
    d = np.atleast_2d(np.asarray(steps, dtype=np.float64))
    t = np.asarray(theta, dtype=np.float64)[..., None, None]
    valid = ~np.isnan(d)
    diffs = np.where(valid, t - np.nan_to_num(d), -np.inf)
    zero = np.zeros(diffs.shape[:-1] + (1,))
    # Cumulative sums over steps; -inf marks categories the item lacks.
    z = a_[..., None] * np.concatenate([zero, np.cumsum(diffs, axis=-1)], axis=-1)
    zmax = np.max(z, axis=-1, keepdims=True)
    e = np.exp(z - zmax)
    return e / np.sum(e, axis=-1, keepdims=True)


def gpcm_info(theta: ArrayLike, a: ArrayLike, steps: ArrayLike) -> FloatArray:
    """Fisher information of GPCM items, ``I(theta) = a^2 Var(X | theta)``.

    ``Var(X) = sum_k k^2 P_k - (sum_k k P_k)^2``.  Returns ``theta.shape + (I,)``.
    """
    p = gpcm_probs(theta, a, steps)
    k = np.arange(p.shape[-1], dtype=np.float64)
    mean = p @ k
    var = p @ (k * k) - mean**2
    a_ = np.asarray(a, dtype=np.float64)
    return a_**2 * np.maximum(var, 0.0)


def expected_score(theta: ArrayLike, a: ArrayLike, steps: ArrayLike) -> FloatArray:
    """Expected item score of GPCM items, ``E[X | theta] = sum_k k P_k``."""
    p = gpcm_probs(theta, a, steps)
    return p @ np.arange(p.shape[-1], dtype=np.float64)


def n_categories(steps: ArrayLike | None, n_items: int) -> NDArray[np.int64]:
    """Number of score categories per item: ``1 + number of non-NaN steps`` (2 if no steps)."""
    if steps is None:
        return np.full(n_items, 2, dtype=np.int64)
    d = np.atleast_2d(np.asarray(steps, dtype=np.float64))
    return 1 + np.sum(~np.isnan(d), axis=1).astype(np.int64)


def category_log_probs(
    theta: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike,
    steps: ArrayLike | None = None,
) -> FloatArray:
    """Log probability of every score category for a mixed bank, shape ``theta.shape + (I, K)``.

    Items with a row of NaN in ``steps`` (or when ``steps`` is None) are dichotomous
    3PL items (categories 0 and 1); the others are GPCM items.  ``K`` is the largest
    number of categories; missing categories get ``-inf``.
    """
    a_ = np.asarray(a, dtype=np.float64)
    p = np.clip(prob_3pl(theta, a_, b, c), _EPS, 1.0 - _EPS)
    dich = np.stack([np.log1p(-p), np.log(p)], axis=-1)
    if steps is None:
        return dich
    d = np.atleast_2d(np.asarray(steps, dtype=np.float64))
    poly = np.sum(~np.isnan(d), axis=1) > 1
    if not np.any(poly):
        return dich
    k_max = d.shape[1] + 1
    out = np.full(dich.shape[:-1] + (k_max,), -np.inf)
    out[..., :2] = dich
    with np.errstate(divide="ignore"):
        lp = np.log(gpcm_probs(theta, a_[poly], d[poly]))
    out[..., poly, :] = lp
    return out


def item_information(
    theta: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike,
    steps: ArrayLike | None = None,
) -> FloatArray:
    """Fisher information of a mixed bank (3PL and GPCM items), shape ``theta.shape + (I,)``."""
    out = info_3pl(theta, a, b, c)
    if steps is None:
        return out
    d = np.atleast_2d(np.asarray(steps, dtype=np.float64))
    poly = np.sum(~np.isnan(d), axis=1) > 1
    if np.any(poly):
        out[..., poly] = gpcm_info(theta, np.asarray(a, dtype=np.float64)[poly], d[poly])
    return out


def test_information(
    theta: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike = 0.0,
    steps: ArrayLike | None = None,
) -> FloatArray:
    """Test information ``I(theta) = sum_i I_i(theta)``, shape ``theta.shape``."""
    a_ = np.atleast_1d(np.asarray(a, dtype=np.float64))
    b_ = np.broadcast_to(np.asarray(b, dtype=np.float64), a_.shape)
    c_ = np.broadcast_to(np.asarray(c, dtype=np.float64), a_.shape)
    return np.sum(item_information(theta, a_, b_, c_, steps), axis=-1)


def category_probs_elementwise(
    theta: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike,
    steps: ArrayLike | None = None,
) -> FloatArray:
    """Probabilities of each score for item ``j`` at ``theta[j]`` (no outer product).

    All inputs are ``(N,)`` (``steps`` ``(N, M)``); returns ``(N, K)``; dichotomous rows
    use the 3PL and have zeros beyond category 1.
    """
    t = np.asarray(theta, dtype=np.float64)
    a_ = np.asarray(a, dtype=np.float64)
    c_ = np.asarray(c, dtype=np.float64)
    p = c_ + (1.0 - c_) * 0.5 * (1.0 + np.tanh(0.5 * a_ * (t - np.asarray(b, float))))
    k_max = 2 if steps is None else np.atleast_2d(np.asarray(steps)).shape[1] + 1
    out = np.zeros(t.shape + (max(k_max, 2),))
    out[..., 0] = 1.0 - p
    out[..., 1] = p
    if steps is None:
        return out
    d = np.atleast_2d(np.asarray(steps, dtype=np.float64))
    poly = np.sum(~np.isnan(d), axis=1) > 1
    if np.any(poly):
        dp = d[poly]
        valid = ~np.isnan(dp)
        diffs = np.where(valid, t[poly, None] - np.nan_to_num(dp), -np.inf)
        z = a_[poly, None] * np.concatenate([np.zeros((dp.shape[0], 1)), np.cumsum(diffs, 1)], 1)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        out[poly] = e / e.sum(axis=1, keepdims=True)
    return out
