"""Conditional Sympson-Hetter exposure parameters, computed by simulation.

Within an ability stratum ``j`` the probability that item ``i`` is given is
``P(A_ij) = P(S_ij) K_ij``: it must first be selected (enter the lottery, event
``S``) and then win it.  The iteration of Sympson & Hetter (1985), conditional on
strata of true ability as in Stocking & Lewis (1998), repeats

    simulate with K  ->  K_ij = 1 if P(S_ij) <= r else r / P(S_ij)

until the largest conditional exposure ``max P(A_ij)`` settles at or below ``r``.
Operationally the stratum is looked up from the current estimate (the true
ability is unknown); the simulations use the same lookup, so the parameters are
calibrated for the procedure that is actually run.  Because each stratum is held
to ``r``, the unconditional exposure is at most ``r`` as well.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .bank import SkillPool
from .simulation import SkillRun, exposure_rates

FloatArray = NDArray[np.float64]

#: Default ability strata edges (5 strata).
DEFAULT_EDGES: tuple[float, ...] = (-1.5, -0.5, 0.5, 1.5)

Runner = Callable[[Sequence[SkillPool], int], tuple[list[SkillRun], FloatArray]]


@dataclass(frozen=True)
class ExposureReport:
    """How the calibration went: max conditional exposure per skill and iteration."""

    max_conditional: list[list[float]]
    max_unconditional: list[list[float]]


def conditional_rates(
    mask: NDArray[np.bool_], theta_true: FloatArray, edges: Sequence[float]
) -> FloatArray:
    """``(I, S)`` rate of examinees in each true-ability stratum for whom ``mask[n, i]``."""
    strata = np.searchsorted(np.asarray(edges, float), theta_true, side="right")
    n_str = len(edges) + 1
    out = np.zeros((mask.shape[1], n_str))
    for j in range(n_str):
        sel = strata == j
        if sel.any():
            out[:, j] = mask[sel].mean(axis=0)
    return out


def update_k(p_select: FloatArray, r_max: float) -> FloatArray:
    """``K = 1`` where ``P(S) <= r``, else ``r / P(S)``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p_select > r_max, r_max / p_select, 1.0)


def calibrate_sympson_hetter(
    pools: Sequence[SkillPool],
    runner: Runner,
    *,
    r_max: float = 0.2,
    edges: Sequence[float] = DEFAULT_EDGES,
    n_iter: int = 12,
    seed: int = 0,
) -> tuple[list[SkillPool], ExposureReport]:
    """Iterate conditional Sympson-Hetter parameters for every skill pool at once.

    ``runner(pools, seed)`` must simulate the whole battery with those pools
    (``track_selected=True``) and return the runs and the true abilities ``(N, S)``.
    Returns the pools carrying the final parameters (the last iteration's update)
    and the exposure history.
    """
    e = np.asarray(edges, float)
    cur = [p.with_exposure(np.ones((p.n_items, e.size + 1)), e) for p in pools]
    hist_c: list[list[float]] = [[] for _ in pools]
    hist_u: list[list[float]] = [[] for _ in pools]
    for it in range(n_iter):
        runs, theta = runner(cur, seed + it)
        nxt = []
        for s, (pool, run) in enumerate(zip(cur, runs, strict=True)):
            assert run.selected is not None, "runner must track selected items"
            given = np.zeros_like(run.selected)
            it_ = run.items[:, run.scored]
            rows = np.repeat(np.arange(it_.shape[0]), it_.shape[1])
            ok = it_.ravel() >= 0
            given[rows[ok], it_.ravel()[ok]] = True
            p_s = conditional_rates(run.selected, theta[:, s], e)
            p_a = conditional_rates(given, theta[:, s], e)
            hist_c[s].append(float(p_a[~pool.is_pretest].max()))
            hist_u[s].append(float(exposure_rates(run, pool.n_items).max()))
            nxt.append(pool.with_exposure(update_k(p_s, r_max), e))
        cur = nxt
    return cur, ExposureReport(hist_c, hist_u)
