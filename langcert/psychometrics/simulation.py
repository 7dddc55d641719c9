"""Monte Carlo simulation of the adaptive test, in lock-step over examinees.

Every examinee advances one item per step, so each step is a handful of array
operations over all examinees (selection, response, likelihood update, EAP).

The reference bank (fixed so figures compare across versions): 5 skills of 500
2PL items each; ``a = exp(N(log 1.5, 0.25^2))`` -- "lognormal with mean 1.5 and
log-sd 0.25" read as a median of 1.5 on the natural scale --; ``b ~ N(0, 1.2^2)``;
abilities multivariate normal with mean 0, SD 1 and correlation 0.8 between any
two skills; CEFR cuts at -1.6, -0.8, 0.0, 0.8, 1.6; 10 items per skill.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .bank import SkillPool, make_pool
from .classification import band_index, band_probabilities, decide_band
from .estimation import GRID, eap_from_grid, normal_log_prior, posterior_on_grid
from .lookahead import posterior_weights
from .models import category_probs_elementwise
from .prior import conditional_prior, equicorrelated, gaussian_message
from .selection import CatConfig, allowed_types, pick_pretest, select_items, selection_target

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
Progress = Callable[[int], None]  # called with examinee-steps done

REFERENCE_SEED = 20251122
REFERENCE_SKILLS: tuple[str, ...] = ("reading", "listening", "grammar", "vocabulary", "writing")
REFERENCE_CUTS: tuple[float, ...] = (-1.6, -0.8, 0.0, 0.8, 1.6)
REFERENCE_ITEMS = 500
REFERENCE_RHO = 0.8
#: Seed of the examinees of the default ``simulate`` run (the bank has its own).
DEFAULT_SIM_SEED = 12345


def generate_pool(
    rng: np.random.Generator,
    n_items: int,
    *,
    a_median: float = 1.5,
    a_logsd: float = 0.25,
    b_mean: float = 0.0,
    b_sd: float = 1.2,
    guessing: float | None = None,
    n_types: int = 1,
    n_enemy_sets: int = 0,
    enemy_size: int = 2,
    n_pretest: int = 0,
    id_offset: int = 0,
) -> SkillPool:
    """A random pool: ``a = exp(N(log a_median, a_logsd^2))``, ``b ~ N(b_mean, b_sd^2)``.

    ``guessing`` draws ``c ~ U(0, 2 guessing)`` (3PL); types are assigned at random;
    ``n_enemy_sets`` disjoint sets of ``enemy_size`` random items are made enemies;
    the last ``n_pretest`` items are flagged pretest.
    """
    n = n_items + n_pretest
    a = np.exp(rng.normal(np.log(a_median), a_logsd, n))
    b = rng.normal(b_mean, b_sd, n)
    c = np.zeros(n) if guessing is None else rng.uniform(0.0, 2.0 * guessing, n)
    types = rng.integers(0, n_types, n) if n_types > 1 else np.zeros(n, dtype=np.int64)
    enemies = np.full(n, -1, dtype=np.int64)
    if n_enemy_sets:
        members = rng.choice(n_items, size=(n_enemy_sets, enemy_size), replace=False)
        for s, row in enumerate(members):
            enemies[row] = s
    pre = np.zeros(n, dtype=bool)
    pre[n_items:] = True
    return make_pool(a, b, c, item_type=types, enemies=enemies, is_pretest=pre,
                     item_ids=np.arange(id_offset, id_offset + n))


def reference_bank(seed: int = REFERENCE_SEED, n_items: int = REFERENCE_ITEMS) -> list[SkillPool]:
    """The five reference pools (2PL, one item type, no enemies, no pretest items)."""
    rng = np.random.default_rng(seed)
    n_sk = len(REFERENCE_SKILLS)
    return [generate_pool(rng, n_items, id_offset=s * 100_000) for s in range(n_sk)]


def draw_abilities(
    rng: np.random.Generator,
    n: int,
    n_skills: int,
    rho: float = REFERENCE_RHO,
    distribution: str = "normal",
    mean: float = 0.0,
    sd: float = 1.0,
) -> FloatArray:
    """Abilities ``(n, n_skills)``: multivariate normal (equicorrelated) or uniform.

    ``"uniform"`` draws each skill from ``U(mean - 3 sd, mean + 3 sd)`` through a
    Gaussian copula with the same correlation.
    """
    cov = equicorrelated(n_skills, rho)
    z = rng.multivariate_normal(np.zeros(n_skills), cov, size=n, method="cholesky")
    if distribution == "normal":
        return mean + sd * z
    if distribution == "uniform":
        from math import erf, sqrt

        u = 0.5 * (1.0 + np.vectorize(erf)(z / sqrt(2.0)))
        return mean + sd * (6.0 * u - 3.0)
    raise ValueError(f"unknown ability distribution {distribution!r}")


def simulate_responses(
    pool: SkillPool, theta: FloatArray, items: IntArray, rng: np.random.Generator
) -> IntArray:
    """Draw a score for item ``items[n]`` at true ability ``theta[n]``."""
    steps = None if pool.steps is None else pool.steps[items]
    p = category_probs_elementwise(theta, pool.a[items], pool.b[items], pool.c[items], steps)
    u = rng.random(theta.shape)
    return np.sum(np.cumsum(p, axis=-1)[..., :-1] < u[..., None], axis=-1).astype(np.int64)


def block_items(blocked: BoolArray, pool: SkillPool, rows: IntArray, items: IntArray) -> None:
    """Mark ``items`` and all their enemies as unavailable for the given rows."""
    blocked[rows, items] = True
    if pool.enemy_members.shape[0] == 0:
        return
    sets = pool.enemies[items]
    r, e = np.nonzero(sets >= 0)
    if r.size == 0:
        return
    mem = pool.enemy_members[sets[r, e]]
    rr = np.repeat(rows[r], mem.shape[1])
    mm = mem.ravel()
    keep = mm >= 0
    blocked[rr[keep], mm[keep]] = True


@dataclass
class SkillRun:
    """Outcome of one skill for N examinees.

    ``items``/``responses`` are ``(N, L)`` in administration order (-1 = none) and
    ``scored`` ``(L,)`` marks operational positions.  ``log_lik`` ``(N, G)`` is the
    scored items' log-likelihood on the grid; the reported scores fill in later.
    """

    items: IntArray
    responses: IntArray
    scored: BoolArray
    log_lik: FloatArray
    prior_mean: FloatArray
    prior_sd: FloatArray
    selected: NDArray[np.int8] | None = None
    visited: BoolArray | None = None
    theta: FloatArray = field(default_factory=lambda: np.zeros(0))
    se: FloatArray = field(default_factory=lambda: np.zeros(0))
    band: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    band_probs: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))


def run_skill(
    pool: SkillPool,
    theta_true: FloatArray,
    rng: np.random.Generator,
    config: CatConfig | None = None,
    *,
    prior_mean: FloatArray | float = 0.0,
    prior_sd: FloatArray | float = 1.0,
    cuts: Sequence[float] | None = None,
    excluded: BoolArray | None = None,
    progress: Progress | None = None,
    track_selected: bool = False,
    chunk: int = 2048,
) -> SkillRun:
    """Run one skill's CAT for every examinee in lock-step.

    ``excluded`` ``(N, I)`` marks items seen in earlier attempts.  With
    ``track_selected`` the run also records, for every item that entered an exposure
    lottery (administered or rejected), the Sympson-Hetter stratum of the estimate
    at that moment (``selected``, -1 = never selected) and which strata each
    examinee passed through (``visited``): Sympson-Hetter calibration needs both.
    """
    config = CatConfig() if config is None else config
    n = theta_true.size
    pm = np.broadcast_to(np.asarray(prior_mean, float), (n,)).copy()
    psd = np.broadcast_to(np.asarray(prior_sd, float), (n,)).copy()
    if n > chunk:
        # Lock-step in blocks keeps the (N, I) masks cache-sized.
        parts = [
            run_skill(pool, theta_true[i:i + chunk], rng, config, prior_mean=pm[i:i + chunk],
                      prior_sd=psd[i:i + chunk], cuts=cuts,
                      excluded=None if excluded is None else excluded[i:i + chunk],
                      progress=progress,
                      track_selected=track_selected, chunk=chunk)
            for i in range(0, n, chunk)
        ]
        return SkillRun(
            np.concatenate([p.items for p in parts]), np.concatenate([p.responses for p in parts]),
            parts[0].scored, np.concatenate([p.log_lik for p in parts]), pm, psd,
            None if not track_selected else np.concatenate([p.selected for p in parts]),
            None if not track_selected else np.concatenate([p.visited for p in parts]),
        )
    total = config.total_length
    scored = np.array([p not in config.pretest_positions for p in range(total)])
    items = np.full((n, total), -1, dtype=np.int64)
    resp = np.full((n, total), -1, dtype=np.int64)
    blocked = np.zeros((n, pool.n_items), dtype=bool) if excluded is None else excluded.copy()
    selected = np.full((n, pool.n_items), -1, dtype=np.int8) if track_selected else None
    visited = np.zeros((n, pool.sh_edges.size + 1), dtype=bool) if track_selected else None
    log_prior = normal_log_prior(GRID, pm, psd)
    ll = np.zeros((n, GRID.size))
    theta, se = eap_from_grid(ll, log_prior)
    n_types = max(pool.n_types, 1)
    counts = np.zeros((n, n_types), dtype=np.int64)
    quota = None if config.type_quota is None else np.asarray(config.type_quota)
    cuts_ = None if cuts is None else np.asarray(cuts, float)
    rows = np.arange(n)
    for pos in range(total):
        if not scored[pos]:
            j = pick_pretest(pool, blocked, rng)
        else:
            target = selection_target(theta, se, cuts_, config.rule)
            allowed = allowed_types(counts, quota, n_types)
            w = posterior_weights(ll + log_prior) if config.lookahead and cuts_ is not None \
                else None
            sel = select_items(pool, target, blocked, rng, k=config.k, type_allowed=allowed,
                               stratum_theta=theta, exposure=config.exposure, weights=w,
                               cuts=cuts_, lookahead=config.lookahead, loss=config.loss,
                               tolerance=config.tolerance, jitter=config.jitter)
            j = sel.items
            blocked[sel.rejected_rows, sel.rejected_items] = True
            if selected is not None and visited is not None:
                st = pool.stratum(theta).astype(np.int8)
                selected[sel.rejected_rows, sel.rejected_items] = st[sel.rejected_rows]
                visited[rows[j >= 0], st[j >= 0]] = True
        ok = j >= 0
        r, jj = rows[ok], j[ok]
        x = simulate_responses(pool, theta_true[ok], jj, rng)
        items[r, pos] = jj
        resp[r, pos] = x
        block_items(blocked, pool, r, jj)
        if scored[pos]:
            if selected is not None:
                selected[r, jj] = pool.stratum(theta[r]).astype(np.int8)
            ll[r] += pool.log_prob_table[jj, x]
            counts[r, pool.item_type[jj]] += 1
            theta, se = eap_from_grid(ll, log_prior)
        if progress is not None:
            progress(n)
    return SkillRun(items, resp, scored, ll, pm, psd, selected, visited)


@dataclass(frozen=True)
class Design:
    """A test design and the measurement devices switched on.

    Attributes:
        config: per-skill CAT design.
        correlated_prior: start each skill from the prior implied by the skills
            already taken (and score with it).
        augment: report each skill from the joint posterior over all skills.
        decision: ``"eap"`` (band of the EAP) or ``"mode"`` (most probable band).
        rho: inter-skill correlation assumed by the prior (estimated from
            calibration data in operation; 0.8 in the reference bank).
        priced: control exposure with prices on the lookahead's expected gain
            (:func:`.exposure.calibrate_prices`) rather than with the Sympson-Hetter
            lottery (``config.exposure``).
    """

    config: CatConfig = CatConfig()
    correlated_prior: bool = False
    augment: bool = False
    decision: str = "eap"
    rho: float = REFERENCE_RHO
    priced: bool = False


#: Plain maximum information with EAP (no exposure control, no devices).
BASELINE = Design(CatConfig(k=1, exposure=False))
#: Information at the cut score nearest the estimate, Sympson-Hetter exposure control,
#: correlated prior, augmentation, most probable band: the design shipped until
#: 2026-12-06 (the live test selects by its cut rule, bench/psychometrics/README.md).
CUT_RULE = Design(CatConfig(k=1, rule="cut"), correlated_prior=True, augment=True,
                  decision="mode")
#: The shipped design: Bayesian lookahead (Gini) ranking 24 candidates by expected
#: gain minus an exposure price, gains jittered by 5 %; the same devices otherwise.
RECOMMENDED = Design(CatConfig(k=1, rule="cut", exposure=False, lookahead=24, loss="gini",
                               jitter=0.05),
                     correlated_prior=True, augment=True, decision="mode", priced=True)
#: The cut-rule design with Bayesian lookahead selection (16 candidates, Gini loss) in
#: place of the rule, still under the Sympson-Hetter lottery: no better than the rule.
LOOKAHEAD = Design(CatConfig(k=1, rule="cut", lookahead=16, loss="gini"),
                   correlated_prior=True, augment=True, decision="mode")


def run_battery(
    pools: Sequence[SkillPool],
    theta_true: FloatArray,
    rng: np.random.Generator,
    design: Design = RECOMMENDED,
    cuts: Sequence[Sequence[float]] | None = None,
    *,
    progress: Progress | None = None,
    track_selected: bool = False,
    configs: Sequence[CatConfig] | None = None,
) -> list[SkillRun]:
    """Run all skills in order and fill in the reported theta, SE and bands.

    ``configs`` gives each skill its own CAT design (the live test's sections differ in
    their type quotas); by default every skill uses ``design.config``."""
    n, n_sk = theta_true.shape
    configs_l = [design.config] * n_sk if configs is None else list(configs)
    cuts_l = [REFERENCE_CUTS] * n_sk if cuts is None else list(cuts)
    cov = equicorrelated(n_sk, design.rho)
    mu = np.zeros(n_sk)
    lam = np.zeros((n, n_sk))
    h = np.zeros((n, n_sk))
    runs: list[SkillRun] = []
    for s, pool in enumerate(pools):
        if design.correlated_prior and s > 0:
            pm, psd = conditional_prior(mu, cov, lam, h, s)
        else:
            pm, psd = np.zeros(n), np.ones(n)
        run = run_skill(pool, theta_true[:, s], rng, configs_l[s], prior_mean=pm,
                        prior_sd=psd, cuts=cuts_l[s], progress=progress,
                        track_selected=track_selected)
        m, sd = eap_from_grid(run.log_lik, normal_log_prior(GRID, 0.0, 1.0))
        lam[:, s], h[:, s] = gaussian_message(m, sd, 0.0, 1.0)
        runs.append(run)
    for s, run in enumerate(runs):
        if design.augment:
            pm, psd = conditional_prior(mu, cov, lam, h, s)
        else:
            pm, psd = run.prior_mean, run.prior_sd
        lp = normal_log_prior(GRID, pm, psd)
        run.theta, run.se = eap_from_grid(run.log_lik, lp)
        run.band_probs = band_probabilities(posterior_on_grid(run.log_lik, lp), cuts_l[s])
        run.band = decide_band(run.theta, run.band_probs, cuts_l[s], design.decision)
    return runs


def exposure_rates(run: SkillRun, n_items: int) -> FloatArray:
    """Fraction of examinees given each item (scored positions only)."""
    it = run.items[:, run.scored]
    it = it[it >= 0]
    return np.bincount(it, minlength=n_items) / run.items.shape[0]


def skill_metrics(
    run: SkillRun, theta_true: FloatArray, cuts: Sequence[float], pool: SkillPool
) -> dict[str, float]:
    """RMSE, bias, mean SE, exact / within-one band agreement, max / mean exposure."""
    err = run.theta - theta_true
    true_band = band_index(theta_true, cuts)
    diff = np.abs(run.band - true_band)
    rates = exposure_rates(run, pool.n_items)[~pool.is_pretest]
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "bias": float(np.mean(err)),
        "mean_se": float(np.mean(run.se)),
        "exact_band": float(np.mean(diff == 0)),
        "within_one_band": float(np.mean(diff <= 1)),
        "max_exposure": float(rates.max()),
        "mean_exposure": float(rates.mean()),
    }
