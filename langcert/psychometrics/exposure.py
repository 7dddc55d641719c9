"""Conditional Sympson-Hetter exposure parameters, computed by simulation.

An item ``i`` selected while the candidate's current estimate lies in ability
stratum ``j`` is administered with probability ``K_ij`` (otherwise it is dropped
for the rest of that candidate's test and the next draw is made).  So, counting
per stratum of the estimate at the time of selection,

    P(A_ij) = K_ij P(S_ij),

with rates taken over the ``D_j`` examinees whose estimate visited stratum ``j``.
The iteration of Sympson & Hetter (1985), made conditional as in Stocking & Lewis
(1998) but on the estimate (the only ability known in operation, van der Linden
& Veldkamp 2007), repeats

    simulate with K  ->  K_ij = 1 if P(S_ij) <= r else r / P(S_ij)

for a fixed number of rounds.  An estimate passes through several strata during
a test, so per-stratum control alone does not bound the unconditional rate
``P(A_i) = sum_j P(A_i, j)``.  Each round therefore also applies an item-level
factor ``U_i = min(1, r_u / sum_j K_ij P(S_i, j))`` (selection counted over all
examinees), and stores ``K_ij U_i``: the expected unconditional exposure under
the new parameters is then at most ``r_u``.

The other control, :func:`calibrate_prices`, prices items instead of drawing
lotteries: the lookahead selection takes an item's price off its expected gain, and
the prices are found by simulation so that no item is given to more than ``r_u``
of the candidates.  It keeps the best items for the candidates who gain most from
them, where the lottery turns candidates away at random (bench/psychometrics).
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
    selected: NDArray[np.int8],
    given: NDArray[np.bool_],
    visited: NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray]:
    """``(I, S)`` selection and administration rates per stratum of the estimate.

    ``selected[n, i]`` is the stratum in which item ``i`` was selected for examinee
    ``n`` (-1 = never); ``given`` marks administered items; ``visited[n, j]`` whether
    examinee ``n`` made a selection in stratum ``j`` (the denominators ``D_j``).
    """
    n_str = visited.shape[1]
    d = np.maximum(visited.sum(axis=0), 1)
    p_s = np.zeros((selected.shape[1], n_str))
    p_a = np.zeros_like(p_s)
    for j in range(n_str):
        hit = selected == j
        p_s[:, j] = hit.sum(axis=0) / d[j]
        p_a[:, j] = (hit & given).sum(axis=0) / d[j]
    return p_s, p_a


def update_k(p_select: FloatArray, r_max: float) -> FloatArray:
    """``K = 1`` where ``P(S) <= r``, else ``r / P(S)``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p_select > r_max, r_max / p_select, 1.0)


def calibrate_sympson_hetter(
    pools: Sequence[SkillPool],
    runner: Runner,
    *,
    r_max: float = 0.2,
    r_total: float | None = None,
    edges: Sequence[float] = DEFAULT_EDGES,
    n_iter: int = 12,
    seed: int = 0,
) -> tuple[list[SkillPool], ExposureReport]:
    """Iterate conditional Sympson-Hetter parameters for every skill pool at once.

    ``runner(pools, seed)`` must simulate the whole battery with those pools
    (``track_selected=True``) and return the runs and the true abilities ``(N, S)``.
    ``r_max`` is the conditional target and ``r_total`` (default ``r_max``) the
    unconditional one.
    Returns the pools carrying the final parameters (the last iteration's update)
    and the exposure history.
    """
    e = np.asarray(edges, float)
    cur = [p.with_exposure(np.ones((p.n_items, e.size + 1)), e) for p in pools]
    hist_c: list[list[float]] = [[] for _ in pools]
    hist_u: list[list[float]] = [[] for _ in pools]
    for it in range(n_iter):
        runs, _ = runner(cur, seed + it)
        nxt = []
        for s, (pool, run) in enumerate(zip(cur, runs, strict=True)):
            assert run.selected is not None and run.visited is not None, "track_selected"
            given = np.zeros(run.selected.shape, dtype=bool)
            it_ = run.items[:, run.scored]
            rows = np.repeat(np.arange(it_.shape[0]), it_.shape[1])
            ok = it_.ravel() >= 0
            given[rows[ok], it_.ravel()[ok]] = True
            p_s, p_a = conditional_rates(run.selected, given, run.visited)
            hist_c[s].append(float(p_a[~pool.is_pretest].max()))
            hist_u[s].append(float(exposure_rates(run, pool.n_items).max()))
            k_c = update_k(p_s, r_max)
            n_ex = run.selected.shape[0]
            d = np.maximum(run.visited.sum(axis=0), 1)
            # Predicted unconditional exposure with the new conditional parameters.
            pred = (k_c * p_s * d / n_ex).sum(axis=1)
            k_u = update_k(pred, r_max if r_total is None else r_total)
            nxt.append(pool.with_exposure(k_c * k_u[:, None], e))
        cur = nxt
    return cur, ExposureReport(hist_c, hist_u)


def calibrate_prices(
    pools: Sequence[SkillPool],
    runner: Runner,
    *,
    r_total: float,
    n_iter: int = 40,
    step: float = 0.012,
    settle: int = 10,
    seed: int = 0,
) -> tuple[list[SkillPool], ExposureReport]:
    """Exposure prices for every skill pool at once, by simulation (dual ascent).

    The lookahead ranks candidates by expected gain minus the item's price
    (:func:`.selection.select_lookahead`).  Each round simulates the battery with the
    current prices and moves every price by ``step * (rate - r_total) / r_total``
    (never below 0): over-exposed items grow dearer, items under the target get
    cheaper until free.  The step shrinks as ``1 / (1 + round / 8)`` so the prices
    settle instead of swapping the top items round after round, and in the last
    ``settle`` rounds prices only rise: the rates of those rounds are what the
    prices end up held to.  ``runner`` is as for :func:`calibrate_sympson_hetter`
    (``track_selected`` is not needed).  The report's ``max_unconditional`` holds each
    round's highest exposure per skill (there is no conditional rate here).
    """
    cur = [p.with_prices(np.zeros(p.n_items)) for p in pools]
    hist: list[list[float]] = [[] for _ in pools]
    for it in range(n_iter):
        runs, _ = runner(cur, seed + it)
        rate_step = step / (1.0 + it / 8.0)
        rising_only = it >= n_iter - settle
        nxt = []
        for s, (pool, run) in enumerate(zip(cur, runs, strict=True)):
            rates = exposure_rates(run, pool.n_items)
            hist[s].append(float(rates[~pool.is_pretest].max()))
            assert pool.exposure_price is not None
            move = rate_step * (rates - r_total) / r_total
            if rising_only:
                move = np.maximum(move, 0.0)
            nxt.append(pool.with_prices(np.maximum(pool.exposure_price + move, 0.0)))
        cur = nxt
    return cur, ExposureReport([[] for _ in pools], hist)
