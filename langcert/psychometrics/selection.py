"""Item selection for one skill: maximum information, randomesque, Sympson-Hetter, content.

The core, :func:`select_items`, works in lock-step on ``N`` candidates at once (the
simulator uses thousands, a web request uses one):

1. Eligible items: operational (not pretest), not ``blocked`` (already given,
   seen in an earlier attempt, or sharing an enemy set with a given item), and of
   a type whose quota in the section is not yet filled.
2. Rank the eligible items by Fisher information ``I_i(target)`` at the target
   ability (the current estimate, or a cut score, see :func:`selection_target`).
3. Randomesque with conditional Sympson-Hetter (Kingsbury & Zara, 1989;
   Sympson & Hetter, 1985; Stocking & Lewis, 1998): draw one of the ``k`` best
   remaining items uniformly; administer it with probability ``K_i(s)`` where ``s``
   is the ability stratum of the current estimate; if the lottery fails, drop it
   for this step and draw again.  If every candidate fails, the best one is given.

Only a short list of candidates per grid node is re-ranked exactly (see
:mod:`.bank`); a candidate row falls back to a full scan whenever the short list
cannot be shown to contain every item the procedure might reach, so the result is
the same as scanning the whole pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .bank import SkillPool
from .estimation import GRID, GRID_MAX, GRID_MIN, Estimate, eap_from_grid, normal_log_prior
from .lookahead import current_loss, expected_loss, posterior_weights
from .stopping import fixed_length_done

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_H = (GRID_MAX - GRID_MIN) / (GRID.size - 1)


def grid_index(theta: ArrayLike) -> IntArray:
    """Nearest node of :data:`.estimation.GRID` for each theta."""
    t = np.asarray(theta, dtype=np.float64)
    return np.clip(np.rint((t - GRID_MIN) / _H), 0, GRID.size - 1).astype(np.int64)


def information_at(pool: SkillPool, theta: FloatArray, items: IntArray) -> FloatArray:
    """Information of ``items[n, l]`` at ``theta[n]``, elementwise, shape of ``items``.

    3PL: ``a^2 P*^2 Q / P``; GPCM: ``a^2 Var(X)``.  Negative indices give -inf.
    """
    safe = np.maximum(items, 0)
    a = pool.a[safe]
    t = theta[:, None]
    # e = exp(-a (theta - b)), so P* = 1 / (1 + e) and P* Q* = e / (1 + e)^2.
    z = pool.b[safe] - t
    z *= a
    np.clip(z, -50.0, 50.0, out=z)
    e = np.exp(z, out=z)
    if pool.has_guessing:
        c = pool.c[safe]
        p_star = 1.0 / (1.0 + e)
        p = c + (1.0 - c) * p_star
        info = a * a * p_star * p_star * (1.0 - p) / np.maximum(p, 1e-12)
    else:
        one_e = 1.0 + e
        info = a * a * e / (one_e * one_e)
    if pool.steps is not None:
        poly = pool.n_cat[safe] > 2
        if np.any(poly):
            rows = np.nonzero(poly)
            info[rows] = _gpcm_elementwise(t[rows[0], 0], a[rows], pool.steps[safe[rows]])
    return np.where(items >= 0, info, -np.inf)


def _information_one(pool: SkillPool, theta: float, items: IntArray) -> FloatArray:
    """:func:`information_at` for one ability and valid ``items``, with fewer array
    operations on 2PL pools (the web request's step is mostly call overhead)."""
    if pool.has_guessing or pool.steps is not None:
        return information_at(pool, np.array([theta]), items[None, :])[0]
    a = pool.a[items]
    z = a * (pool.b[items] - theta)
    # e / (1 + e)^2 is even in z: exp(-|z|) never overflows.
    e = np.exp(-np.abs(z, out=z), out=z)
    one_e = 1.0 + e
    return a * a * e / (one_e * one_e)


def _gpcm_elementwise(theta: FloatArray, a: FloatArray, steps: FloatArray) -> FloatArray:
    """GPCM information of item row ``j`` at ``theta[j]`` (elementwise, no outer product)."""
    valid = ~np.isnan(steps)
    diffs = np.where(valid, theta[:, None] - np.nan_to_num(steps), -np.inf)
    z = a[:, None] * np.concatenate([np.zeros((theta.size, 1)), np.cumsum(diffs, 1)], 1)
    e = np.exp(z - z.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    k = np.arange(p.shape[1], dtype=np.float64)
    mean = p @ k
    return a * a * np.maximum(p @ (k * k) - mean * mean, 0.0)


def _lottery(
    cand: IntArray,
    avail: BoolArray,
    sh: FloatArray,
    k: int | IntArray,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """Randomesque + Sympson-Hetter over sorted candidate rows.

    Returns the chosen item per row (-1 if a row has no available candidate), the
    deepest sorted position each row looked at (for the exactness check) and a mask of
    the candidates that lost their lottery (classic Sympson-Hetter drops those for the
    rest of the candidate's test, which makes ``P(A_i) = K_i P(S_i)`` hold exactly).
    """
    n, width = cand.shape
    k_row = np.broadcast_to(np.asarray(k, dtype=np.int64), (n,))
    start = avail
    avail = avail.copy()
    chosen = np.full(n, -1, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    open_rows = np.flatnonzero(avail.any(axis=1))
    first_valid = np.where(avail.any(axis=1), np.argmax(avail, axis=1), -1)
    while open_rows.size:
        av = avail[open_rows]
        csum = np.cumsum(av, axis=1)
        n_av = np.minimum(csum[:, -1], k_row[open_rows])
        has = n_av > 0
        # Exhausted rows: every candidate failed its lottery, give the best one.
        dead = open_rows[~has]
        chosen[dead] = cand[dead, first_valid[dead]]
        open_rows, av, csum, n_av = open_rows[has], av[has], csum[has], n_av[has]
        if open_rows.size == 0:
            break
        r = (rng.random(open_rows.size) * n_av).astype(np.int64) + 1
        pos = np.argmax((csum == r[:, None]) & av, axis=1)
        depth[open_rows] = np.maximum(depth[open_rows], np.argmax(csum >= n_av[:, None], 1))
        accept = rng.random(open_rows.size) < sh[open_rows, pos]
        chosen[open_rows[accept]] = cand[open_rows[accept], pos[accept]]
        rej = open_rows[~accept]
        avail[rej, pos[~accept]] = False
        open_rows = rej
    # Rows that exhausted every lottery gave their best item: it is not rejected.
    rejected = start & ~avail & (cand != chosen[:, None])
    return chosen, depth, rejected


class Selection(NamedTuple):
    """Result of :func:`select_items`."""

    items: IntArray
    rejected_rows: IntArray
    rejected_items: IntArray


def select_items(
    pool: SkillPool,
    target: ArrayLike,
    blocked: BoolArray,
    rng: np.random.Generator,
    *,
    k: int = 5,
    type_allowed: BoolArray | None = None,
    stratum_theta: ArrayLike | None = None,
    exposure: bool = True,
    weights: FloatArray | None = None,
    cuts: ArrayLike | None = None,
    lookahead: int = 0,
    loss: str = "gini",
    tolerance: float = 0.0,
    jitter: float = 0.0,
) -> Selection:
    """Choose the next operational item for each of ``N`` candidates.

    Args:
        pool: the skill's items.
        target: ``(N,)`` ability at which information is maximised.
        blocked: ``(N, I)`` items that may not be given (seen, enemies, excluded).
        rng: random generator (randomesque draw and exposure lottery).
        k: randomesque width (1 = plain maximum information).
        type_allowed: ``(N, T)`` item types still open in the section's blueprint.
        stratum_theta: ``(N,)`` ability used to pick the Sympson-Hetter stratum
            (defaults to ``target``; pass the current estimate).
        exposure: apply the Sympson-Hetter lottery.
        weights: ``(N, G)`` current posterior weights on the grid (rows sum to 1);
            with ``cuts`` and ``lookahead > 0`` the candidates are ranked by
            expected loss after one more answer instead (see
            :func:`select_lookahead`).
        cuts: ascending cut scores of the bands.
        lookahead: how many short-listed candidates the lookahead evaluates (0 = off).
        loss: lookahead criterion (see :func:`.lookahead.expected_loss`).
        tolerance: see :func:`select_lookahead`.
        jitter: see :func:`select_lookahead`.

    Returns:
        :class:`Selection`: ``items`` ``(N,)`` pool indices (-1 where nothing is
        eligible) and the (row, item) pairs that lost the exposure lottery, which
        the caller must block for the rest of that candidate's test.
    """
    tgt = np.atleast_1d(np.asarray(target, dtype=np.float64))
    n = tgt.size
    blocked = np.atleast_2d(blocked)
    n_types = max(pool.n_types, 1)
    if type_allowed is None:
        type_allowed = np.ones((n, n_types), dtype=bool)
    type_allowed = np.atleast_2d(type_allowed)
    if lookahead > 0 and weights is not None and cuts is not None and np.size(cuts) > 0:
        st_theta = tgt if stratum_theta is None else np.atleast_1d(
            np.asarray(stratum_theta, float))
        return select_lookahead(pool, np.atleast_2d(weights), cuts, blocked, rng, k=k,
                                type_allowed=type_allowed, stratum_theta=st_theta,
                                exposure=exposure, n_candidates=lookahead, loss=loss,
                                tolerance=tolerance, jitter=jitter)
    if n == 1:
        st_t = tgt[0] if stratum_theta is None else float(np.ravel(stratum_theta)[0])
        item, lost = select_one(pool, float(tgt[0]), blocked[0], rng, k=k,
                                type_allowed=type_allowed[0], stratum_theta=st_t,
                                exposure=exposure)
        return Selection(np.array([item], dtype=np.int64), np.zeros(lost.size, np.int64), lost)
    g = grid_index(tgt)
    st_theta = tgt if stratum_theta is None else np.atleast_1d(np.asarray(stratum_theta, float))
    stratum = pool.stratum(st_theta)

    ranked = pool.ranked  # (T, G, L)
    lst = ranked.shape[2]
    cand = np.transpose(ranked[:, g, :], (1, 0, 2))  # (N, T, L)
    cand = np.where(type_allowed[:, :, None], cand, -1).reshape(n, n_types * lst)
    valid = (cand >= 0) & ~blocked[np.arange(n)[:, None], np.maximum(cand, 0)]
    info = np.where(valid, information_at(pool, tgt, cand), -np.inf)
    # Only the best few are ever reached (k plus a few lottery losers): partial sort.
    width = min(info.shape[1], 2 * k + 8)
    if width < info.shape[1]:
        top = np.argpartition(-info, width - 1, axis=1)[:, :width]
        order = np.take_along_axis(top, np.argsort(-np.take_along_axis(info, top, 1), 1), 1)
    else:
        order = np.argsort(-info, axis=1, kind="stable")
    cand_s = np.take_along_axis(cand, order, axis=1)
    info_s = np.take_along_axis(info, order, axis=1)
    avail = np.isfinite(info_s)
    sh = pool.sh_k[np.maximum(cand_s, 0), stratum[:, None]] if exposure else np.ones(cand_s.shape)
    chosen, depth, rej_mask = _lottery(cand_s, avail, sh, k, rng)

    # Exactness: every item missing from the partial order has information at the
    # target below the bound (unlisted items: precomputed bound of the node's cell;
    # listed but cut by the partial sort: the smallest kept value).  The positions
    # the procedure reached must all beat it, else the row is redone on the full pool.
    bound = np.where(type_allowed, pool.unlisted_bound[:, g].T, -np.inf).max(axis=1)
    if width < info.shape[1]:
        bound = np.maximum(bound, np.where(np.isfinite(info_s[:, -1]), info_s[:, -1], -np.inf))
        # Reaching the last kept position means more might be needed.
        bound = np.where((depth >= width - 1) & np.isfinite(info_s[:, -1]), np.inf, bound)
    reached = np.take_along_axis(info_s, np.minimum(depth, info_s.shape[1] - 1)[:, None], 1)[:, 0]
    unsure = (bound == np.inf) | (np.isfinite(bound) & ((reached < bound) | (chosen < 0)))
    rej_mask[unsure] = False
    return _with_redone_rows(pool, chosen, cand_s, rej_mask, np.flatnonzero(unsure), tgt,
                             blocked, type_allowed, stratum, rng, k, exposure)


def _with_redone_rows(pool: SkillPool, chosen: IntArray, cand_s: IntArray,
                      rej_mask: BoolArray, redo: IntArray, targets: FloatArray,
                      blocked: BoolArray, type_allowed: BoolArray, stratum: IntArray,
                      rng: np.random.Generator, k: int, exposure: bool) -> Selection:
    """The :class:`Selection` of the lottery's rows, the rows in ``redo`` chosen again by
    maximum information at ``targets`` on the whole pool; every lottery loser is kept."""
    rej_rows, rej_pos = np.nonzero(rej_mask)
    rej_rows_l = [rej_rows]
    rej_items_l = [cand_s[rej_rows, rej_pos]]
    for row in redo:
        chosen[row], lost = _select_full(pool, float(targets[row]), blocked[row],
                                         type_allowed[row], int(stratum[row]), rng, k,
                                         exposure)
        rej_rows_l.append(np.full(lost.size, row, dtype=np.int64))
        rej_items_l.append(lost)
    return Selection(chosen, np.concatenate(rej_rows_l), np.concatenate(rej_items_l))


def select_lookahead(
    pool: SkillPool,
    weights: FloatArray,
    cuts: ArrayLike,
    blocked: BoolArray,
    rng: np.random.Generator,
    *,
    k: int = 1,
    type_allowed: BoolArray | None = None,
    stratum_theta: ArrayLike | None = None,
    exposure: bool = True,
    n_candidates: int = 64,
    loss: str = "gini",
    tolerance: float = 0.0,
    jitter: float = 0.0,
) -> Selection:
    """Bayesian one-step lookahead selection for classification, for ``N`` candidates.

    Candidates: the eligible short-listed items (:attr:`.bank.SkillPool.ranked`) at the
    grid nodes of the posterior mean and of the cut nearest to it, the
    ``n_candidates`` most informative at either point kept.  They are ranked by the
    expected posterior loss after their answer (:func:`.lookahead.expected_loss`;
    ties by information), and randomesque + Sympson-Hetter runs on that order as in
    :func:`select_items`.  With ``tolerance > 0`` the randomesque width of a row is
    at least the number of candidates whose expected gain (current loss minus
    expected loss) is within that fraction of the best gain.  Rows without an
    eligible short-listed item fall back to maximum information on the whole pool.

    Exposure prices (:attr:`.bank.SkillPool.exposure_price`) rank the candidates by
    expected gain minus price instead: the Lagrangian of "most expected gain with no
    item given to more than a target share", the prices being its multipliers
    (:func:`.exposure.calibrate_prices`).  ``jitter`` multiplies each gain by
    ``exp(jitter * Gumbel noise)``: candidates in the same state (everyone starts a
    skill at the same prior) then spread over items of near-equal value instead of
    all taking the first.
    """
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    n = w.shape[0]
    blocked = np.atleast_2d(blocked)
    n_types = max(pool.n_types, 1)
    type_allowed = (np.ones((n, n_types), dtype=bool) if type_allowed is None
                    else np.atleast_2d(type_allowed))
    cuts_ = np.atleast_1d(np.asarray(cuts, dtype=np.float64))
    mean = w @ GRID
    st_theta = mean if stratum_theta is None else np.atleast_1d(
        np.asarray(stratum_theta, dtype=np.float64))
    nearest = cuts_[np.argmin(np.abs(mean[:, None] - cuts_[None, :]), axis=1)]
    anchors = np.stack([mean, nearest], axis=1)  # (N, 2)
    ranked = pool.ranked  # (T, G, L)
    lst = ranked.shape[2]
    g = grid_index(anchors)  # (N, 2)
    cand = np.transpose(ranked[:, g, :], (1, 2, 0, 3))  # (N, 2, T, L)
    cand = np.where(type_allowed[:, None, :, None], cand, -1).reshape(n, 2 * n_types * lst)
    # Duplicates (an item short-listed at both points) and ineligible items drop out.
    cand = np.sort(cand, axis=1)
    dup = np.zeros(cand.shape, dtype=bool)
    dup[:, 1:] = cand[:, 1:] == cand[:, :-1]
    valid = (cand >= 0) & ~dup & ~blocked[np.arange(n)[:, None], np.maximum(cand, 0)]
    cand = np.where(valid, cand, -1)
    info = np.maximum(information_at(pool, anchors[:, 0], cand),
                      information_at(pool, anchors[:, 1], cand))
    m = min(n_candidates, cand.shape[1])
    if m < cand.shape[1]:
        top = np.argpartition(-info, m - 1, axis=1)[:, :m]
        cand = np.take_along_axis(cand, top, 1)
        info = np.take_along_axis(info, top, 1)
    # Information order first, then a stable sort by loss: ties go to information.
    order = np.argsort(-info, axis=1, kind="stable")
    cand = np.take_along_axis(cand, order, 1)
    el = expected_loss(pool, w, cand, cuts_, loss)
    priced = pool.exposure_price is not None or jitter > 0
    # Expected gain: the current loss minus the expected loss (ranks as -el does).
    gain = current_loss(w, cuts_, loss)[:, None] - el if priced or tolerance > 0 else None
    key = el if gain is None or not priced else _priced_key(pool, cand, gain, jitter, rng)
    order = np.argsort(key, axis=1, kind="stable")
    cand_s = np.take_along_axis(cand, order, 1)
    avail = cand_s >= 0
    k_eff: int | IntArray = k
    if tolerance > 0 and gain is not None:
        # Randomesque over the items whose expected gain is within ``tolerance`` of the
        # best item's gain.
        gain_s = np.take_along_axis(gain, order, 1)
        close = gain_s >= (1.0 - tolerance) * gain_s[:, :1]
        k_eff = np.maximum(np.maximum(close.sum(axis=1), 1), k)
    stratum = pool.stratum(st_theta)
    sh = (pool.sh_k[np.maximum(cand_s, 0), stratum[:, None]] if exposure
          else np.ones(cand_s.shape))
    chosen, _, rej_mask = _lottery(cand_s, avail, sh, k_eff, rng)
    return _with_redone_rows(pool, chosen, cand_s, rej_mask, np.flatnonzero(chosen < 0),
                             mean, blocked, type_allowed, stratum, rng, k, exposure)


def _priced_key(pool: SkillPool, cand: IntArray, gain: FloatArray, jitter: float,
                rng: np.random.Generator) -> FloatArray:
    """What the lookahead ranks by with prices or jitter, lowest first:
    -(expected gain x noise - price)."""
    if jitter > 0:
        gain = gain * np.exp(jitter * rng.gumbel(size=gain.shape))
    if pool.exposure_price is not None:
        gain = gain - pool.exposure_price[np.maximum(cand, 0)]
    return np.where(cand >= 0, -gain, np.inf)


def select_one(
    pool: SkillPool,
    target: float,
    blocked: BoolArray,
    rng: np.random.Generator,
    *,
    k: int = 5,
    type_allowed: BoolArray | None = None,
    stratum_theta: float | None = None,
    exposure: bool = True,
) -> tuple[int, IntArray]:
    """:func:`select_items` for a single candidate (the web request), with less overhead.

    Same procedure and same guarantees; returns ``(item, items that lost the lottery)``.
    """
    g = min(max(int(round((target - GRID_MIN) / _H)), 0), GRID.size - 1)
    types = (tuple(range(pool.ranked.shape[0])) if type_allowed is None
             else tuple(np.flatnonzero(type_allowed).tolist()))
    listed, bound = pool.node_shortlist(g, types)
    cand = listed[~blocked[listed]]
    st = int(pool.stratum(target if stratum_theta is None else stratum_theta))
    if cand.size:
        info = _information_one(pool, target, cand)
        order = np.argsort(-info, kind="stable")
        cand = cand[order]
        info = info[order]
        # A column view: only the drawn positions' parameters are ever read.
        sh = pool.sh_k[:, st] if exposure else None
        avail = list(range(cand.size))
        lost: list[int] = []
        depth = 0
        while avail:
            width = min(k, len(avail))
            depth = max(depth, avail[width - 1])
            pick = int(rng.random() * width)
            pos = avail[pick]
            if sh is None or rng.random() < sh[cand[pos]]:
                if info[depth] >= bound:
                    return int(cand[pos]), cand[lost]
                break
            lost.append(pos)
            del avail[pick]
        else:
            if bound == -np.inf or (info.size and info[-1] >= bound):
                # Every candidate lost its lottery: the best one is given.
                return int(cand[0]), cand[[p for p in lost if p != 0]]
    # The short list cannot prove the answer: redo on the whole pool.
    full_allowed = (np.ones(max(pool.n_types, 1), bool) if type_allowed is None
                    else np.asarray(type_allowed, bool))
    return _select_full(pool, target, blocked, full_allowed, st, rng, k, exposure)


def _select_full(
    pool: SkillPool,
    target: float,
    blocked: BoolArray,
    type_allowed: BoolArray,
    stratum: int,
    rng: np.random.Generator,
    k: int,
    exposure: bool,
) -> tuple[int, IntArray]:
    """The same procedure as :func:`select_items` on the whole pool (one candidate)."""
    items = np.arange(pool.n_items)[None, :]
    info = information_at(pool, np.array([target]), items)[0]
    ok = ~blocked & ~pool.is_pretest & type_allowed[pool.item_type]
    info = np.where(ok, info, -np.inf)
    order = np.argsort(-info, kind="stable")
    order = order[np.isfinite(info[order])]
    if order.size == 0:
        return -1, np.zeros(0, dtype=np.int64)
    sh = pool.sh_k[order, stratum] if exposure else np.ones(order.size)
    chosen, _, rej = _lottery(order[None, :], np.ones((1, order.size), bool), sh[None, :], k, rng)
    return int(chosen[0]), order[rej[0]]


def selection_target(
    theta: FloatArray, se: FloatArray, cuts: FloatArray | None, rule: str = "estimate"
) -> FloatArray:
    """Ability at which to maximise information.

    ``"estimate"``: the current estimate.  ``"cut"``: the cut score nearest to the
    estimate when that cut lies within one SE of it (a decision is at stake there),
    otherwise the estimate (Spray & Reckase, 1994; Eggen, 1999).
    """
    if rule == "estimate" or cuts is None or len(cuts) == 0:
        return theta
    if rule != "cut":
        raise ValueError(f"unknown selection rule {rule!r}")
    cuts_ = np.asarray(cuts, dtype=np.float64)
    nearest = cuts_[np.argmin(np.abs(theta[:, None] - cuts_[None, :]), axis=1)]
    return np.where(np.abs(nearest - theta) < se, nearest, theta)


def allowed_types(counts: IntArray, quota: IntArray | None, n_types: int) -> BoolArray:
    """Types still open: ``counts[n, t] < quota[t]``; all open once every quota is met.

    ``counts`` is ``(N, T)`` scored items given per type; ``quota`` is ``(T,)``.
    """
    counts = np.atleast_2d(counts)
    if quota is None:
        return np.ones((counts.shape[0], n_types), dtype=bool)
    q = np.asarray(quota, dtype=np.int64)
    open_ = counts < q
    done = ~open_.any(axis=1)
    open_[done] = True
    return open_


# ---------------------------------------------------------------------------
# Per-request API: state as plain lists, storable as JSON between HTTP requests.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CatConfig:
    """Test design for one skill.

    Attributes:
        test_length: scored items per skill (fixed length).
        k: randomesque width.
        type_quota: scored items per item type in the section (sums to ``test_length``),
            or ``None`` for no content balancing.
        pretest_positions: 0-based positions in the full sequence (scored + pretest)
            at which an unscored pretest item is seeded.
        exposure: apply the Sympson-Hetter lottery.
        rule: selection target rule, ``"estimate"`` or ``"cut"``.
        lookahead: when cut scores are given, rank this many short-listed candidates
            by the expected posterior loss after one more answer (Bayesian one-step
            lookahead, see :func:`select_lookahead`); 0 = rank by information at the
            ``rule`` target.
        loss: the lookahead criterion (:func:`.lookahead.expected_loss`).
        tolerance: lookahead randomesque among items of near-equal expected gain
            (see :func:`select_lookahead`); 0 = off.
        jitter: lookahead noise on the expected gains (see :func:`select_lookahead`);
            0 = off.
    """

    test_length: int = 10
    k: int = 5
    type_quota: tuple[int, ...] | None = None
    pretest_positions: tuple[int, ...] = ()
    exposure: bool = True
    rule: str = "estimate"
    lookahead: int = 0
    loss: str = "gini"
    tolerance: float = 0.0
    jitter: float = 0.0

    @property
    def total_length(self) -> int:
        return self.test_length + len(self.pretest_positions)


@dataclass
class CatState:
    """Everything a skill's CAT needs between requests, as plain JSON-able lists.

    ``item_ids`` are external ids in the order given; ``responses`` the scores;
    ``scored`` marks operational items (False for pretest items).
    """

    item_ids: list[int] = field(default_factory=list)
    responses: list[int] = field(default_factory=list)
    scored: list[bool] = field(default_factory=list)
    prior_mean: float = 0.0
    prior_sd: float = 1.0
    rejected: list[int] = field(default_factory=list)

    def record(self, item_id: int, response: int, scored: bool = True) -> None:
        """Append an answered item."""
        self.item_ids.append(int(item_id))
        self.responses.append(int(response))
        self.scored.append(bool(scored))

    def to_dict(self) -> dict[str, Any]:
        return {"item_ids": list(self.item_ids), "responses": list(self.responses),
                "scored": list(self.scored), "prior_mean": self.prior_mean,
                "prior_sd": self.prior_sd, "rejected": list(self.rejected)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CatState:
        return cls([int(v) for v in d.get("item_ids", [])],
                   [int(v) for v in d.get("responses", [])],
                   [bool(v) for v in d.get("scored", [])],
                   float(d.get("prior_mean", 0.0)), float(d.get("prior_sd", 1.0)),
                   [int(v) for v in d.get("rejected", [])])


def log_lik_grid(pool: SkillPool, items: ArrayLike, responses: ArrayLike) -> FloatArray:
    """Log-likelihood on the grid of answered items: ``sum_j log P_{i_j}(x_j | GRID)``."""
    idx = np.asarray(items, dtype=np.int64)
    x = np.asarray(responses, dtype=np.int64)
    if idx.size == 0:
        return np.zeros(GRID.size)
    return pool.log_prob_table[idx, x].sum(axis=0)


def estimate_state(pool: SkillPool, state: CatState) -> Estimate:
    """EAP and posterior SD from the scored answers in ``state`` under its normal prior."""
    scored = np.asarray(state.scored, dtype=bool)
    idx = pool.index_of(np.asarray(state.item_ids)[scored]) if scored.any() else np.zeros(0, int)
    ll = log_lik_grid(pool, idx, np.asarray(state.responses)[scored])
    mean, sd = eap_from_grid(ll, normal_log_prior(GRID, state.prior_mean, state.prior_sd))
    return Estimate(float(mean), float(sd))


def next_item(
    pool: SkillPool,
    state: CatState,
    rng: np.random.Generator,
    config: CatConfig = CatConfig(),
    *,
    excluded_ids: ArrayLike = (),
    cuts: ArrayLike | None = None,
) -> int | None:
    """External id of the next item to show, or ``None`` when the skill is complete.

    Items that lose the Sympson-Hetter lottery are appended to ``state.rejected``
    (they stay out of this candidate's test): persist ``state`` after the call.
    ``excluded_ids`` are items the candidate saw in earlier attempts.  Pretest items
    are seeded at ``config.pretest_positions`` (chosen uniformly among eligible
    pretest items); the scored items follow :func:`select_items`.
    """
    pos = len(state.item_ids)
    if fixed_length_done(state.scored, config.test_length):
        return None
    given = pool.index_of(state.item_ids) if state.item_ids else np.zeros(0, np.int64)
    excl = pool.index_of(excluded_ids) if np.size(excluded_ids) else np.zeros(0, np.int64)
    rejected = pool.index_of(state.rejected) if state.rejected else np.zeros(0, np.int64)
    blocked = pool.blocked_mask(given, excl, rejected)
    if pos in config.pretest_positions:
        choice = pick_pretest(pool, blocked[None, :], rng)[0]
        if choice >= 0:
            return int(pool.item_ids[choice])
    est = estimate_state(pool, state)
    theta = np.array([est.theta])
    target = selection_target(theta, np.array([est.se]),
                              None if cuts is None else np.asarray(cuts, float), config.rule)
    counts = np.zeros((1, max(pool.n_types, 1)), dtype=np.int64)
    scored_idx = given[np.asarray(state.scored, dtype=bool)] if given.size else given
    np.add.at(counts[0], pool.item_type[scored_idx], 1)
    quota = None if config.type_quota is None else np.asarray(config.type_quota)
    allowed = allowed_types(counts, quota, max(pool.n_types, 1))
    weights = None
    if config.lookahead and cuts is not None and np.size(cuts):
        answers = np.asarray(state.responses, dtype=np.int64)
        ll = log_lik_grid(pool, scored_idx, answers[np.asarray(state.scored, dtype=bool)]
                          if answers.size else answers)
        weights = posterior_weights(
            ll + normal_log_prior(GRID, state.prior_mean, state.prior_sd))[None, :]
    sel = select_items(pool, target, blocked[None, :], rng, k=config.k,
                       type_allowed=allowed, stratum_theta=theta, exposure=config.exposure,
                       weights=weights, cuts=cuts, lookahead=config.lookahead,
                       loss=config.loss, tolerance=config.tolerance, jitter=config.jitter)
    state.rejected.extend(int(v) for v in pool.item_ids[sel.rejected_items])
    choice = int(sel.items[0])
    return None if choice < 0 else int(pool.item_ids[choice])


def pick_pretest(pool: SkillPool, blocked: BoolArray, rng: np.random.Generator) -> IntArray:
    """A uniformly drawn eligible pretest item per row of ``blocked`` (-1 if none)."""
    pre = np.flatnonzero(pool.is_pretest)
    blocked = np.atleast_2d(blocked)
    if pre.size == 0:
        return np.full(blocked.shape[0], -1, dtype=np.int64)
    ok = ~blocked[:, pre]
    # Random keys, ineligible ones pushed to -1: argmax is a uniform eligible draw.
    keys = np.where(ok, rng.random(ok.shape), -1.0)
    best = np.argmax(keys, axis=1)
    return np.where(ok.any(axis=1), pre[best], -1)

