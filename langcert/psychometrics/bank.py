"""The item pool of one skill, as plain arrays, plus tables derived from it once.

A :class:`SkillPool` is what the selection and estimation functions read.  It is
immutable; the Django side builds one per (bank version, skill), caches it in
the process, and stores the per-request CAT state separately as plain lists
(see :class:`.selection.CatState`).

Derived tables (computed lazily, on the estimation grid ``GRID`` of G nodes):

* ``log_prob_table`` ``(I, K, G)``: ``log P_i(X = k | theta_g)``; the likelihood of
  an answer pattern on the grid is then a sum of rows, no transcendental calls.
* ``ranked`` ``(T, G, L)``: for each item type and grid node, the L operational
  items with the highest information there, best first, with ``ranked_info``.
  Selection only re-ranks these few candidates exactly at the current estimate,
  and falls back to a full scan when it cannot prove the short list suffices.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .estimation import GRID
from .models import category_log_probs, item_information, n_categories

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Length of each per-node short list of candidates.
SHORTLIST = 64


@dataclass(frozen=True, eq=False)
class SkillPool:
    """Arrays describing the items of one skill (index ``i`` = row ``i`` everywhere).

    Attributes:
        a, b, c: 3PL parameters ``(I,)`` (``c = 0`` for 2PL items; for GPCM items ``b``
            is the mean step and ``c`` is ignored).
        steps: ``(I, M)`` GPCM step difficulties padded with NaN; all-NaN beyond the
            first column for dichotomous items; ``None`` if the pool is all dichotomous.
        item_type: ``(I,)`` small integer codes (0..T-1) used by content balancing.
        enemies: ``(I, E)`` enemy-set ids padded with -1: two items that share an id are
            never given to the same candidate.
        is_pretest: ``(I,)`` unscored items, never chosen by the adaptive algorithm.
        item_ids: ``(I,)`` external identifiers (database keys).
        sh_k: ``(I, S)`` conditional Sympson-Hetter parameters: the probability that a
            selected item is administered, for each ability stratum; 1 = no control.
        sh_edges: ``(S - 1,)`` ascending theta edges separating the strata.
        exposure_price: ``(I,)`` exposure prices, computed by simulation
            (:func:`.exposure.calibrate_prices`): what the lookahead selection takes
            off an item's expected gain, in the same unit, so that no item is given to
            more than the target share of candidates; ``None`` = all zero.
    """

    a: FloatArray
    b: FloatArray
    c: FloatArray
    steps: FloatArray | None
    item_type: IntArray
    enemies: IntArray
    is_pretest: NDArray[np.bool_]
    item_ids: IntArray
    sh_k: FloatArray
    sh_edges: FloatArray
    shortlist: int = field(default=SHORTLIST)
    exposure_price: FloatArray | None = field(default=None)

    def prepare(self) -> SkillPool:
        """Build every derived table now (call once per process, e.g. at start-up)."""
        _ = (self.log_prob_table, self._ranked, self.enemy_members, self.n_cat, self.has_guessing)
        return self

    @property
    def n_items(self) -> int:
        return int(self.a.shape[0])

    @property
    def n_types(self) -> int:
        return int(self.item_type.max()) + 1 if self.n_items else 0

    @cached_property
    def n_cat(self) -> IntArray:
        """Score categories per item (2 for dichotomous items)."""
        return n_categories(self.steps, self.n_items)

    @cached_property
    def has_guessing(self) -> bool:
        """Whether any item has a lower asymptote (else the cheaper 2PL formulas apply)."""
        return bool(np.any(self.c > 0))

    @cached_property
    def log_prob_table(self) -> FloatArray:
        """``log P_i(k | GRID_g)`` as ``(I, K, G)``."""
        lp = category_log_probs(GRID, self.a, self.b, self.c, self.steps)  # (G, I, K)
        return np.ascontiguousarray(np.transpose(lp, (1, 2, 0)))

    @cached_property
    def prob_table(self) -> FloatArray:
        """``P_i(k | GRID_g)`` as ``(I, K, G)`` (the lookahead selection reads it)."""
        return np.exp(self.log_prob_table)

    @cached_property
    def info_grid(self) -> FloatArray:
        """Item information on the grid, ``(G, I)``."""
        return item_information(GRID, self.a, self.b, self.c, self.steps)

    @cached_property
    def info_dev(self) -> FloatArray:
        """``(G, I)``: how far each item's information moves within half a grid step.

        ``max_{|d| <= h/2} |I_i(theta_g + d) - I_i(theta_g)|``, sampled at 8 offsets and
        padded by 25 % (information is smooth on that scale).
        """
        h = GRID[1] - GRID[0]
        dev = np.zeros_like(self.info_grid)
        for off in np.linspace(-0.5 * h, 0.5 * h, 9):
            if off == 0.0:
                continue
            moved = item_information(GRID + off, self.a, self.b, self.c, self.steps)
            np.maximum(dev, np.abs(moved - self.info_grid), out=dev)
        return 1.25 * dev

    @cached_property
    def _ranked(self) -> tuple[IntArray, FloatArray, FloatArray]:
        g = GRID.size
        n_t = max(self.n_types, 1)
        lst = self.shortlist
        ranked = np.full((n_t, g, lst), -1, dtype=np.int64)
        rinfo = np.full((n_t, g, lst), -np.inf)
        # Upper bound on the information, anywhere in the node's cell, of the items
        # of that type left off the short list (-inf when none are left off).
        rest = np.full((n_t, g), -np.inf)
        for t in range(n_t):
            idx = np.flatnonzero((self.item_type == t) & ~self.is_pretest)
            if idx.size == 0:
                continue
            info = self.info_grid[:, idx]
            m = min(lst, idx.size)
            if m < idx.size:
                part = np.argpartition(-info, m - 1, axis=1)[:, :m]
                upper = info + self.info_dev[:, idx]
                np.put_along_axis(upper, part, -np.inf, axis=1)
                rest[t] = upper.max(axis=1)
            else:
                part = np.broadcast_to(np.arange(idx.size), (g, idx.size))
            vals = np.take_along_axis(info, part, axis=1)
            order = np.argsort(-vals, axis=1, kind="stable")
            ranked[t, :, :m] = idx[np.take_along_axis(part, order, axis=1)]
            rinfo[t, :, :m] = np.take_along_axis(vals, order, axis=1)
        return ranked, rinfo, rest

    @property
    def ranked(self) -> IntArray:
        """``(T, G, L)`` best operational items per type and grid node (-1 pads)."""
        return self._ranked[0]

    @property
    def ranked_info(self) -> FloatArray:
        """Information at the node of the entries of :attr:`ranked` (-inf pads)."""
        return self._ranked[1]

    @property
    def unlisted_bound(self) -> FloatArray:
        """``(T, G)`` bound on the information within the node's cell of unlisted items."""
        return self._ranked[2]

    def node_shortlist(self, node: int, types: tuple[int, ...]) -> tuple[IntArray, float]:
        """The short-listed items of ``types`` at grid node ``node`` (one flat array, pads
        dropped) and the bound of the unlisted ones; memoised, for the web request."""
        key = (node, types)
        hit = self._node_lists.get(key)
        if hit is None:
            listed = self.ranked[list(types), node].ravel()
            bound = float(self.unlisted_bound[list(types), node].max()) if types else -np.inf
            hit = self._node_lists[key] = (listed[listed >= 0], bound)
        return hit

    @cached_property
    def _node_lists(self) -> dict[tuple[int, tuple[int, ...]], tuple[IntArray, float]]:
        return {}

    @cached_property
    def enemy_members(self) -> IntArray:
        """``(n_sets, max_size)`` items of each enemy set, padded with -1."""
        ids = self.enemies[self.enemies >= 0]
        if ids.size == 0:
            return np.zeros((0, 1), dtype=np.int64)
        n_sets = int(ids.max()) + 1
        rows, cols = np.nonzero(self.enemies >= 0)
        sets = self.enemies[rows, cols]
        counts = np.bincount(sets, minlength=n_sets)
        out = np.full((n_sets, int(counts.max())), -1, dtype=np.int64)
        order = np.argsort(sets, kind="stable")
        sets_sorted = sets[order]
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        pos = np.arange(sets_sorted.size) - starts[sets_sorted]
        out[sets_sorted, pos] = rows[order]
        return out

    @cached_property
    def _id_index(self) -> dict[int, int]:
        return {int(v): i for i, v in enumerate(self.item_ids)}

    def index_of(self, item_ids: ArrayLike) -> IntArray:
        """Pool indices of external item ids (KeyError for unknown ids)."""
        m = self._id_index
        return np.array([m[int(v)] for v in np.atleast_1d(np.asarray(item_ids))], dtype=np.int64)

    def blocked_by(self, indices: ArrayLike) -> IntArray:
        """Indices of every item sharing an enemy set with any of ``indices`` (incl. themselves)."""
        idx = np.asarray(indices, dtype=np.int64)
        if idx.size == 0 or self.enemy_members.shape[0] == 0:
            return idx
        sets = self.enemies[idx]
        sets = sets[sets >= 0]
        members = self.enemy_members[sets].ravel()
        return np.union1d(idx, members[members >= 0])

    def blocked_mask(self, given: ArrayLike, *extra: ArrayLike) -> NDArray[np.bool_]:
        """``(I,)`` items unavailable after ``given``: those items, their enemies, ``extra``."""
        mask = np.zeros(self.n_items, dtype=bool)
        idx = np.asarray(given, dtype=np.int64)
        mask[idx] = True
        if idx.size and self.enemy_members.shape[0]:
            sets = self.enemies[idx]
            members = self.enemy_members[sets[sets >= 0]]
            mask[members[members >= 0]] = True
        for more in extra:
            mask[np.asarray(more, dtype=np.int64)] = True
        return mask

    def stratum(self, theta: ArrayLike) -> IntArray:
        """Sympson-Hetter stratum of each ability value."""
        return np.searchsorted(self.sh_edges, np.asarray(theta, dtype=np.float64), side="right")

    def with_exposure(self, sh_k: ArrayLike, sh_edges: ArrayLike) -> SkillPool:
        """A copy carrying new Sympson-Hetter parameters (shares the item arrays)."""
        k = np.asarray(sh_k, dtype=np.float64).reshape(self.n_items, -1)
        e = np.asarray(sh_edges, dtype=np.float64).reshape(-1)
        if k.shape[1] != e.size + 1:
            raise ValueError("sh_k needs one column per stratum (len(sh_edges) + 1)")
        return self._copy_with(sh_k=k, sh_edges=e)

    def with_prices(self, prices: ArrayLike | None) -> SkillPool:
        """A copy carrying new exposure prices (``None`` = none)."""
        return self._copy_with(exposure_price=_prices(prices, self.n_items))

    def _copy_with(self, **changes: Any) -> SkillPool:
        new = replace(self, **changes)
        # The derived tables do not depend on exposure: reuse any already built.
        for name in ("log_prob_table", "prob_table", "info_grid", "info_dev", "_ranked",
                     "enemy_members", "n_cat", "has_guessing"):
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name]
        return new

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation (lists), including the exposure parameters."""
        return {
            "a": self.a.tolist(),
            "b": self.b.tolist(),
            "c": self.c.tolist(),
            "steps": None if self.steps is None else
            [[None if np.isnan(v) else float(v) for v in row] for row in self.steps],
            "item_type": self.item_type.tolist(),
            "enemies": self.enemies.tolist(),
            "is_pretest": self.is_pretest.tolist(),
            "item_ids": self.item_ids.tolist(),
            "sh_k": self.sh_k.tolist(),
            "sh_edges": self.sh_edges.tolist(),
            "exposure_price": None if self.exposure_price is None
            else self.exposure_price.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SkillPool:
        """Inverse of :meth:`to_dict`."""
        steps = d.get("steps")
        if steps is not None:
            steps = [[np.nan if v is None else v for v in row] for row in steps]
        return make_pool(d["a"], d["b"], d.get("c"), steps=steps, item_type=d.get("item_type"),
                         enemies=d.get("enemies"), is_pretest=d.get("is_pretest"),
                         item_ids=d.get("item_ids"), sh_k=d.get("sh_k"),
                         sh_edges=d.get("sh_edges"), exposure_price=d.get("exposure_price"))


def make_pool(
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike | None = None,
    *,
    steps: ArrayLike | None = None,
    item_type: ArrayLike | None = None,
    enemies: ArrayLike | None = None,
    is_pretest: ArrayLike | None = None,
    item_ids: ArrayLike | None = None,
    sh_k: ArrayLike | None = None,
    sh_edges: ArrayLike | None = None,
    shortlist: int = SHORTLIST,
    exposure_price: ArrayLike | None = None,
) -> SkillPool:
    """Validate and normalise item arrays into a :class:`SkillPool`.

    ``enemies`` may be 1-D (one set id per item, -1 for none) or 2-D padded with -1.
    Missing ``sh_k`` means no exposure control (all ones, one stratum).
    """
    a_ = np.asarray(a, dtype=np.float64).reshape(-1)
    n = a_.size
    b_ = np.asarray(b, dtype=np.float64).reshape(-1)
    c_ = np.zeros(n) if c is None else np.asarray(c, dtype=np.float64).reshape(-1)
    if b_.size != n or c_.size != n:
        raise ValueError("a, b and c must have the same length")
    if np.any(a_ <= 0) or np.any(c_ < 0) or np.any(c_ >= 1):
        raise ValueError("need a > 0 and 0 <= c < 1")
    s_ = None
    if steps is not None:
        s_ = np.atleast_2d(np.asarray(steps, dtype=np.float64))
        if s_.shape[0] != n:
            raise ValueError("steps needs one row per item")
        if not np.any(np.sum(~np.isnan(s_), axis=1) > 1):
            s_ = None  # every item is dichotomous: use the 3PL fast path
    t_ = np.zeros(n, dtype=np.int64) if item_type is None else np.asarray(item_type, np.int64)
    if t_.size and t_.min() < 0:
        raise ValueError("item_type codes must be >= 0")
    if enemies is None:
        e_ = np.full((n, 1), -1, dtype=np.int64)
    else:
        e_ = np.asarray(enemies, dtype=np.int64)
        e_ = e_.reshape(n, -1) if e_.ndim <= 1 else e_
    p_ = np.zeros(n, dtype=bool) if is_pretest is None else np.asarray(is_pretest, dtype=bool)
    ids = np.arange(n, dtype=np.int64) if item_ids is None else np.asarray(item_ids, np.int64)
    edges = np.zeros(0) if sh_edges is None else np.asarray(sh_edges, np.float64).reshape(-1)
    if np.any(np.diff(edges) <= 0):
        raise ValueError("sh_edges must be strictly ascending")
    k_ = (np.ones((n, edges.size + 1)) if sh_k is None
          else np.asarray(sh_k, dtype=np.float64).reshape(n, -1))
    if k_.shape[1] != edges.size + 1:
        raise ValueError("sh_k needs one column per stratum (len(sh_edges) + 1)")
    if np.any((k_ < 0) | (k_ > 1)):
        raise ValueError("Sympson-Hetter parameters are probabilities")
    return SkillPool(a_, b_, c_, s_, t_.reshape(-1), e_, p_.reshape(-1), ids.reshape(-1),
                     k_, edges, shortlist, _prices(exposure_price, n))


def _prices(prices: ArrayLike | None, n: int) -> FloatArray | None:
    if prices is None:
        return None
    p = np.asarray(prices, dtype=np.float64).reshape(-1)
    if p.size != n:
        raise ValueError("exposure_price needs one value per item")
    if np.any(~np.isfinite(p) | (p < 0)):
        raise ValueError("exposure prices are finite and >= 0")
    return p
