"""Bayesian decision-theoretic item selection for classification (one-step lookahead).

For a candidate whose ability posterior on :data:`.estimation.GRID` has weights
``w_g`` (summing to 1), item ``i`` with category probabilities ``P_i(x | theta_g)``
and bands ``b = 0..B-1`` defined by the cut scores, the joint mass of answer ``x``
and band ``b`` is

    m_i(x, b) = sum_g w_g P_i(x | theta_g) W_gb,

where ``W_gb`` is the share of node ``g``'s cell lying in band ``b``.  After answer
``x`` the posterior band probabilities are ``m_i(x, .) / p_i(x)`` with predictive
probability ``p_i(x) = sum_b m_i(x, b)``, so the expected posterior probability of
misclassification, reporting the most probable band, is

    L_i = sum_x p_i(x) (1 - max_b m_i(x, b) / p_i(x)) = 1 - sum_x max_b m_i(x, b).

The item minimising ``L_i`` is the Bayes one-step choice for exact classification
(Lewis & Sheehan, 1990; Vos, 1999).  But ``L_i`` is myopic: it is flat (equal to the
current loss) whenever no answer to the item would change the most probable band,
which is common before the last item, and it then prefers whatever item can flip
the band now over items that sharpen the posterior for later.  The default
criterion is therefore the expected Gini impurity of the band probabilities,

    G_i = 1 - sum_x sum_b m_i(x, b)^2 / p_i(x),

a smooth loss that rewards sharper band probabilities even when the modal band
does not change; ``"mixed"`` is ``L_i + 0.1 G_i``.  On the reference bank (see
bench/psychometrics/README.md) the Gini criterion classifies as well as maximum
information at the nearest cut and the pure misclassification criterion worse; its
expected gain minus an exposure price (:func:`.exposure.calibrate_prices`) is what the
shipped simulated design ranks by.

Everything is a batched matrix product over ``(rows, candidates)``: the caller
passes a short list of candidates per row (see :mod:`.selection`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .bank import SkillPool
from .estimation import GRID, GRID_MAX, GRID_MIN, posterior_on_grid

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_H = (GRID_MAX - GRID_MIN) / (GRID.size - 1)

#: Weight of the expected Gini impurity added to the expected misclassification.
GINI_WEIGHT = 0.1
#: Rows handled per batched product (keeps the ``(rows, M, K, G)`` block small).
_BLOCK = 16


@lru_cache(maxsize=32)
def _band_weights(cuts: tuple[float, ...]) -> FloatArray:
    lo = GRID - 0.5 * _H
    hi = GRID + 0.5 * _H
    edges = np.concatenate([[-np.inf], np.asarray(cuts, float), [np.inf]])
    inside = np.minimum(hi[:, None], edges[None, 1:]) - np.maximum(lo[:, None], edges[None, :-1])
    w = np.clip(inside, 0.0, None) / _H
    w.setflags(write=False)
    return w


def band_weights(cuts: ArrayLike) -> FloatArray:
    """``(G, B)``: share of each grid node's cell (width h, centred on the node) in each band."""
    return _band_weights(tuple(float(c) for c in np.atleast_1d(np.asarray(cuts, float))))


def posterior_weights(log_post: FloatArray) -> FloatArray:
    """Normalised grid weights from an unnormalised log posterior ``(..., G)``."""
    return posterior_on_grid(log_post, 0.0)


def joint_band_mass(pool: SkillPool, weights: FloatArray, cand: IntArray,
                    cuts: ArrayLike) -> FloatArray:
    """``(N, M, K, B)`` joint mass of answer ``x`` and band ``b`` for items ``cand[n, m]``.

    ``weights`` is ``(N, G)`` (rows sum to 1); negative candidates give zeros.
    """
    bw = band_weights(cuts)
    n, m = cand.shape
    prob = pool.prob_table  # (I, K, G)
    n_items, k, g = prob.shape
    n_b = bw.shape[1]
    out = np.empty((n, m, k, n_b))
    safe = np.maximum(cand, 0)
    # Dichotomous pools: only P(1) is gathered; the mass of a wrong answer is the rest.
    dich = k == 2
    for start in range(0, n, _BLOCK):
        sl = slice(start, min(n, start + _BLOCK))
        nb = sl.stop - sl.start
        wb = weights[sl, :, None] * bw[None, :, :]  # (nb, G, B)
        if dich:
            p1 = prob[safe[sl], 1]  # (nb, M, G)
            m1 = np.matmul(p1, wb)  # (nb, M, B)
            out[sl, :, 1] = m1
            out[sl, :, 0] = wb.sum(axis=1)[:, None, :] - m1
        else:
            p = prob[safe[sl]]  # (nb, M, K, G)
            out[sl] = np.matmul(p.reshape(nb, m * k, g), wb).reshape(nb, m, k, n_b)
    out[cand < 0] = 0.0
    return out


def expected_loss(pool: SkillPool, weights: FloatArray, cand: IntArray, cuts: ArrayLike,
                  loss: str = "gini") -> FloatArray:
    """Expected posterior loss after answering each candidate, ``(N, M)`` (inf for -1 pads).

    ``loss``: ``"misclass"`` (expected probability of misclassifying with the most
    probable band), ``"gini"`` (expected Gini impurity of the band probabilities) or
    ``"mixed"`` (misclass + ``GINI_WEIGHT`` x gini).
    """
    mass = joint_band_mass(pool, weights, cand, cuts)
    out = np.zeros(cand.shape)
    if loss in ("misclass", "mixed"):
        out += 1.0 - mass.max(axis=3).sum(axis=2)
    if loss in ("gini", "mixed"):
        pred = mass.sum(axis=3)
        sq = (mass * mass).sum(axis=3) / np.maximum(pred, 1e-300)
        out += (GINI_WEIGHT if loss == "mixed" else 1.0) * (1.0 - sq.sum(axis=2))
    elif loss != "misclass":
        raise ValueError(f"unknown lookahead loss {loss!r}")
    return np.where(cand >= 0, out, np.inf)


def current_loss(weights: FloatArray, cuts: ArrayLike, loss: str = "gini") -> FloatArray:
    """The criterion of :func:`expected_loss` for the posterior as it is now, ``(N,)``."""
    p = weights @ band_weights(cuts)
    out = np.zeros(p.shape[0])
    if loss in ("misclass", "mixed"):
        out += 1.0 - p.max(axis=-1)
    if loss in ("gini", "mixed"):
        out += (GINI_WEIGHT if loss == "mixed" else 1.0) * (1.0 - (p * p).sum(axis=-1))
    return out
