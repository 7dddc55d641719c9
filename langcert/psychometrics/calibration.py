"""Item calibration by marginal maximum likelihood (Bock-Aitkin EM).

Responses are an ``(N, I)`` integer matrix with -1 for "not presented" (sparse
designs are fine: missing cells drop out of every sum).  Abilities are
integrated on ``n_quad`` equally spaced nodes over [-6, 6] with normal weights.

E-step, for node ``q``:  ``w_nq ∝ g_q prod_i P_i(x_ni | theta_q)`` and the expected
counts ``r_ikq = sum_n [x_ni = k] w_nq``, ``n_iq = sum_k r_ikq``.

M-step, per item (vectorised over items), Fisher scoring on the expected
complete-data log-likelihood ``l_i = sum_q sum_k r_ikq log P_ik(theta_q)``:

* 2PL/3PL in slope-intercept form ``P = c + (1 - c) / (1 + exp(-(a theta + d)))``
  (``b = -d / a``); gradient ``sum_q (r_1q - n_q P) P' / (P Q)``, information
  ``sum_q n_q P'P'^T / (P Q)``.  The 3PL puts a Beta(5, 17) prior on ``c`` (mean
  0.23, the usual stabiliser: the lower asymptote is weakly identified).
* GPCM ``(a, d_1..d_m)``: ``d log P_k / d a = z_k - E z``,
  ``d log P_k / d d_v = -a ([k >= v] - P(X >= v))`` with ``z_k = k theta - sum_{v<=k} d_v``;
  information ``sum_q n_q Cov_k(score)``.

Standard errors come from the cross-product (XPD) of the persons' marginal
score vectors, ``Cov = (sum_n s_n s_n^T)^-1``, mapped to ``b`` by the delta method.
Fixed-item calibration holds the anchor items at their bank values and, since
the anchors fix the scale, also estimates the mean and SD of the calibration
sample's ability distribution.
Item fit: the RMSD of observed (pseudo-count) and model-implied item curves,
weighted by the posterior ability distribution of the item's respondents
(PISA's statistic), flagged above 0.1, plus parameter sanity flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_EPS = 1e-10
C_PRIOR = (5.0, 17.0)
RMSD_FLAG = 0.1


@dataclass
class CalibrationResult:
    """Estimated item parameters, their standard errors, fit and diagnostics.

    ``steps`` is ``(I, M)`` for GPCM items (NaN elsewhere); ``se_*`` are NaN for
    fixed items.  ``flags[i]`` lists the reasons item ``i`` needs review.
    """

    a: FloatArray
    b: FloatArray
    c: FloatArray
    steps: FloatArray | None
    se_a: FloatArray
    se_b: FloatArray
    se_c: FloatArray
    se_steps: FloatArray | None
    model: list[str]
    latent_mean: float
    latent_sd: float
    log_likelihood: float
    n_iter: int
    converged: bool
    rmsd: FloatArray
    flags: list[list[str]] = field(default_factory=list)


def _quadrature(n_quad: int, mean: float, sd: float) -> tuple[FloatArray, FloatArray]:
    nodes = np.linspace(-6.0, 6.0, n_quad)
    logw = -0.5 * ((nodes - mean) / sd) ** 2
    w = np.exp(logw - logw.max())
    return nodes, w / w.sum()


def _dich_probs(nodes: FloatArray, a: FloatArray, d: FloatArray, c: FloatArray) -> FloatArray:
    """``(I, Q)`` probabilities of a correct answer."""
    p_star = 0.5 * (1.0 + np.tanh(0.5 * (a[:, None] * nodes[None, :] + d[:, None])))
    return c[:, None] + (1.0 - c[:, None]) * p_star


def _gpcm_log_probs(nodes: FloatArray, a: FloatArray, steps: FloatArray) -> FloatArray:
    """``(I, K, Q)`` log category probabilities (``-inf`` for absent categories)."""
    valid = ~np.isnan(steps)
    k = np.arange(steps.shape[1] + 1, dtype=np.float64)
    cum_d = np.concatenate([np.zeros((steps.shape[0], 1)), np.cumsum(np.nan_to_num(steps), 1)], 1)
    z = a[:, None, None] * (k[None, :, None] * nodes[None, None, :] - cum_d[:, :, None])
    has = np.concatenate([np.ones((steps.shape[0], 1), bool), valid], 1)
    z = np.where(has[:, :, None], z, -np.inf)
    zmax = z.max(axis=1, keepdims=True)
    return z - zmax - np.log(np.exp(z - zmax).sum(axis=1, keepdims=True))


def calibrate(
    responses: ArrayLike,
    model: str | list[str] = "2PL",
    *,
    n_categories: ArrayLike | None = None,
    fixed: NDArray[np.bool_] | None = None,
    fixed_a: ArrayLike | None = None,
    fixed_b: ArrayLike | None = None,
    fixed_c: ArrayLike | None = None,
    fixed_steps: ArrayLike | None = None,
    estimate_latent: bool | None = None,
    n_quad: int = 41,
    max_iter: int = 500,
    tol: float = 1e-4,
    c_prior: tuple[float, float] = C_PRIOR,
    compute_se: bool = True,
) -> CalibrationResult:
    """Calibrate items by MML-EM; see the module docstring for the formulas.

    Args:
        responses: ``(N, I)`` scores, -1 for missing.
        model: ``"1PL"``, ``"2PL"``, ``"3PL"`` or ``"GPCM"``, or one per item.  ``"1PL"``
            here is the 2PL with a common slope estimated for all 1PL items.
        n_categories: categories per GPCM item (default: highest observed score + 1).
        fixed: mask of anchor items held at ``fixed_a/b/c/steps`` (fixed-item
            calibration); their other entries are ignored.
        estimate_latent: estimate the ability mean/SD (default: when anchors exist).
    """
    x = np.asarray(responses, dtype=np.int64)
    n_p, n_i = x.shape
    models = [model] * n_i if isinstance(model, str) else list(model)
    if len(models) != n_i:
        raise ValueError("need one model per item")
    fx = np.zeros(n_i, bool) if fixed is None else np.asarray(fixed, bool)
    est_lat = bool(fx.any()) if estimate_latent is None else estimate_latent
    is_poly = np.array([m == "GPCM" for m in models])
    is_3pl = np.array([m == "3PL" for m in models])
    is_1pl = np.array([m == "1PL" for m in models])
    ncat = np.where(is_poly, np.maximum(x.max(axis=0) + 1, 2), 2)
    if n_categories is not None:
        ncat = np.where(is_poly, np.asarray(n_categories, np.int64), 2)
    k_max = int(ncat.max())
    m_steps = max(k_max - 1, 1)

    # Starting values: slopes 1, intercepts from the logit of the proportion correct.
    obs = x >= 0
    nobs = np.maximum(obs.sum(axis=0), 1)
    mean_score = np.where(obs, x, 0).sum(axis=0) / nobs / np.maximum(ncat - 1, 1)
    pc = np.clip(mean_score, 0.02, 0.98)
    a = np.ones(n_i)
    d = np.log(pc / (1 - pc)) * 1.2
    c = np.where(is_3pl, 0.2, 0.0)
    steps = np.full((n_i, m_steps), np.nan)
    for i in np.flatnonzero(is_poly):
        steps[i, : ncat[i] - 1] = np.linspace(-1, 1, ncat[i] - 1) - d[i]
    if fx.any():
        fa = np.asarray(fixed_a, float)
        a[fx] = fa[fx]
        if fixed_b is not None:
            fb = np.asarray(fixed_b, float)
            d[fx] = -fa[fx] * fb[fx]
        if fixed_c is not None:
            c[fx] = np.asarray(fixed_c, float)[fx]
        if fixed_steps is not None:
            fs = np.atleast_2d(np.asarray(fixed_steps, float))
            steps[fx & is_poly, : fs.shape[1]] = fs[fx & is_poly]

    onehot = [(x == k).astype(np.float64) for k in range(k_max)]
    # Category 0 is the baseline: log L = sum_{k>=1} [x = k] (log P_k - log P_0) + [obs] log P_0.
    # With complete data the second term is a row vector, so the E-step is two
    # matrix products (float32: the posterior weights need no more precision).
    complete = bool(obs.all())
    xcat = np.concatenate(onehot[1:] + ([] if complete else [obs.astype(np.float64)]), axis=1)
    xcat32 = xcat.astype(np.float32)
    xcat32_t = np.ascontiguousarray(xcat32.T)
    n_blocks = xcat.shape[1] // n_i
    mu, sd = 0.0, 1.0
    nodes, weights = _quadrature(n_quad, mu, sd)
    free = ~fx
    dich = ~is_poly
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - `it` is reported after the loop
        logp = _log_probs(nodes, a, d, c, steps, is_poly, k_max)  # (I, K, Q)
        # Absent categories never occur (their indicator column is 0): any finite value.
        lpf = np.where(np.isfinite(logp), logp, 0.0)
        base = lpf[:, 0, :]
        blocks = [lpf[:, k, :] - base for k in range(1, k_max)]
        if not complete:
            blocks.append(base)
        stack = np.concatenate(blocks, axis=0).astype(np.float32)
        logl = (xcat32 @ stack).astype(np.float64) + np.log(weights)[None, :]
        if complete:
            logl += base.sum(axis=0)[None, :]
        mx = logl.max(axis=1, keepdims=True)
        post = np.exp(logl - mx)
        tot = post.sum(axis=1, keepdims=True)
        ll = float(np.sum(np.log(tot) + mx))
        post /= tot
        rb = (xcat32_t @ post.astype(np.float32)).astype(np.float64).reshape(n_blocks, n_i, -1)
        n_q = np.broadcast_to(post.sum(axis=0), (n_i, n_quad)) if complete else rb[-1]
        r = np.empty((n_i, k_max, n_quad))
        r[:, 1:] = rb[: k_max - 1].transpose(1, 0, 2)
        r[:, 0] = n_q - r[:, 1:].sum(axis=1)  # (I, K, Q) expected counts
        old = np.concatenate([a, d, c, np.nan_to_num(steps).ravel()])
        sel = free & dich
        if sel.any():
            a[sel], d[sel], c[sel] = _mstep_dich(nodes, r[sel, 1], n_q[sel], a[sel], d[sel],
                                                 c[sel], is_3pl[sel], is_1pl[sel], c_prior)
        if (free & is_1pl).any():
            a[free & is_1pl] = _common_slope(nodes, r, n_q, a, d, free & is_1pl)
        sel = free & is_poly
        if sel.any():
            a[sel], steps[sel] = _mstep_gpcm(nodes, r[sel], n_q[sel], a[sel], steps[sel])
        if est_lat:
            m1 = post @ nodes
            mu = float(m1.mean())
            sd = float(np.sqrt(max(np.mean(post @ nodes**2) - mu**2, 1e-4)))
            nodes_w = _quadrature(n_quad, mu, sd)
            weights = nodes_w[1]
        new = np.concatenate([a, d, c, np.nan_to_num(steps).ravel()])
        if np.max(np.abs(new - old)) < tol:
            converged = True
            break

    b = -d / a
    for i in np.flatnonzero(is_poly):
        b[i] = float(np.mean(steps[i][~np.isnan(steps[i])]))
    se_a = np.full(n_i, np.nan)
    se_b = np.full(n_i, np.nan)
    se_c = np.full(n_i, np.nan)
    se_steps = np.full((n_i, m_steps), np.nan) if is_poly.any() else None
    if compute_se:
        _xpd_se(x, onehot, post, nodes, a, d, c, steps, is_poly, is_3pl, free, k_max,
                se_a, se_b, se_c, se_steps, c_prior)
    rmsd = _rmsd(r, n_q, nodes, weights, a, d, c, steps, is_poly, k_max)
    flags = []
    for i in range(n_i):
        f = []
        if rmsd[i] > RMSD_FLAG:
            f.append("misfit_rmsd")
        if a[i] < 0.3:
            f.append("low_discrimination")
        if abs(b[i]) > 4.0:
            f.append("extreme_difficulty")
        if np.isfinite(se_b[i]) and se_b[i] > 1.0:
            f.append("imprecise")
        flags.append(f)
    return CalibrationResult(
        a=a, b=b, c=c, steps=steps if is_poly.any() else None, se_a=se_a, se_b=se_b,
        se_c=se_c, se_steps=se_steps, model=models, latent_mean=mu, latent_sd=sd,
        log_likelihood=ll, n_iter=it, converged=converged, rmsd=rmsd, flags=flags,
    )


def _log_probs(nodes: FloatArray, a: FloatArray, d: FloatArray, c: FloatArray,
               steps: FloatArray, is_poly: NDArray[np.bool_], k_max: int) -> FloatArray:
    n_i = a.size
    out = np.full((n_i, k_max, nodes.size), -np.inf)
    dich = ~is_poly
    if dich.any():
        p = np.clip(_dich_probs(nodes, a[dich], d[dich], c[dich]), _EPS, 1 - _EPS)
        out[dich, 0] = np.log1p(-p)
        out[dich, 1] = np.log(p)
    if is_poly.any():
        lp = _gpcm_log_probs(nodes, a[is_poly], steps[is_poly])
        out[is_poly, : lp.shape[1]] = lp
    return out


def _dich_derivs(nodes: FloatArray, a: FloatArray, d: FloatArray, c: FloatArray,
                 with_c: bool) -> tuple[FloatArray, FloatArray]:
    """P ``(I, Q)`` and dP/d(a, d, c) ``(I, 3, Q)``."""
    p_star = 0.5 * (1.0 + np.tanh(0.5 * (a[:, None] * nodes + d[:, None])))
    pq = p_star * (1 - p_star)
    p = np.clip(c[:, None] + (1 - c[:, None]) * p_star, _EPS, 1 - _EPS)
    dp = np.stack([(1 - c[:, None]) * pq * nodes, (1 - c[:, None]) * pq,
                   (1 - p_star) if with_c else np.zeros_like(p)], axis=1)
    return p, dp


def _mstep_dich(nodes: FloatArray, r1: FloatArray, n_q: FloatArray, a: FloatArray,
                d: FloatArray, c: FloatArray, is_3pl: NDArray[np.bool_],
                fix_a: NDArray[np.bool_], c_prior: tuple[float, float]
                ) -> tuple[FloatArray, FloatArray, FloatArray]:
    al, be = c_prior
    for _ in range(3):
        p, dp = _dich_derivs(nodes, a, d, c, True)
        wgt = 1.0 / (p * (1 - p))
        g = np.einsum("iq,ijq->ij", (r1 - n_q * p) * wgt, dp)
        f = np.einsum("iq,ijq,ilq->ijl", n_q * wgt, dp, dp)
        # The c prior (3PL) and a unit diagonal for c elsewhere (it stays 0 there).
        cs = np.where(is_3pl, c, 0.5)  # keeps the unused branch finite
        g[:, 2] = np.where(is_3pl, g[:, 2] + (al - 1) / cs - (be - 1) / (1 - cs), 0.0)
        f[:, 2, 2] = np.where(is_3pl, f[:, 2, 2] + (al - 1) / cs**2 + (be - 1) / (1 - cs) ** 2,
                              1.0)
        f[:, 0, 2] = f[:, 2, 0] = np.where(is_3pl, f[:, 0, 2], 0.0)
        f[:, 1, 2] = f[:, 2, 1] = np.where(is_3pl, f[:, 1, 2], 0.0)
        # 1PL items: the common slope is updated separately, only d moves here.
        g[:, 0] = np.where(fix_a, 0.0, g[:, 0])
        f[:, 0, 1] = f[:, 1, 0] = np.where(fix_a, 0.0, f[:, 0, 1])
        f[:, 0, 0] = np.where(fix_a, 1.0, f[:, 0, 0])
        step = np.linalg.solve(f + 1e-9 * np.eye(3), g[..., None])[..., 0]
        # Damp large steps: EM keeps improving as long as each M-step does not overshoot.
        scale = np.minimum(1.0, 1.0 / np.maximum(np.abs(step).max(axis=1), 1e-12))
        step *= scale[:, None]
        a = np.clip(a + step[:, 0], 0.05, 8.0)
        d = np.clip(d + step[:, 1], -25.0, 25.0)
        c = np.where(is_3pl, np.clip(c + step[:, 2], 1e-3, 0.5), 0.0)
    return a, d, c


def _common_slope(nodes: FloatArray, r: FloatArray, n_q: FloatArray, a: FloatArray,
                  d: FloatArray, sel: NDArray[np.bool_]) -> FloatArray:
    """One Fisher step for the common slope of 1PL items (intercepts already updated)."""
    p, dp = _dich_derivs(nodes, a[sel], d[sel], np.zeros(sel.sum()), False)
    wgt = 1.0 / (p * (1 - p))
    g = np.sum((r[sel, 1] - n_q[sel] * p) * wgt * dp[:, 0])
    f = np.sum(n_q[sel] * wgt * dp[:, 0] ** 2)
    return np.full(sel.sum(), float(np.clip(a[sel][0] + g / max(f, _EPS), 0.05, 8.0)))


def _gpcm_scores(nodes: FloatArray, a: FloatArray, steps: FloatArray
                 ) -> tuple[FloatArray, FloatArray]:
    """P ``(I, K, Q)`` and per-category scores d log P_k / d(a, d_1..d_m) ``(I, K, 1+M, Q)``."""
    lp = _gpcm_log_probs(nodes, a, steps)
    p = np.exp(lp)
    n_i, k_n, n_q = p.shape
    m = k_n - 1
    kk = np.arange(k_n, dtype=np.float64)
    cum_d = np.concatenate([np.zeros((n_i, 1)), np.cumsum(np.nan_to_num(steps), 1)], 1)
    z = kk[None, :, None] * nodes[None, None, :] - cum_d[:, :, None]  # (I, K, Q)
    ez = np.sum(p * z, axis=1, keepdims=True)
    s = np.zeros((n_i, k_n, 1 + m, n_q))
    s[:, :, 0] = z - ez
    ge = (kk[:, None] >= np.arange(1, m + 1)[None, :]).astype(np.float64)  # (K, M) [k >= v]
    p_ge = np.einsum("ikq,kv->ivq", p, ge)  # P(X >= v)
    s[:, :, 1:] = -a[:, None, None, None] * (ge[None, :, :, None] - p_ge[:, None, :, :])
    valid = np.concatenate([np.ones((n_i, 1), bool), ~np.isnan(steps)], 1)  # (I, 1+M)
    s = np.where(valid[:, None, :, None], s, 0.0)
    return p, s


def _mstep_gpcm(nodes: FloatArray, r: FloatArray, n_q: FloatArray, a: FloatArray,
                steps: FloatArray) -> tuple[FloatArray, FloatArray]:
    steps = steps.copy()
    valid = np.concatenate([np.ones((a.size, 1), bool), ~np.isnan(steps)], 1)
    for _ in range(3):
        p, s = _gpcm_scores(nodes, a, steps)
        k_n = p.shape[1]
        rr = r[:, :k_n]
        g = np.einsum("ikq,ikjq->ij", rr, s)
        f = np.einsum("iq,ikq,ikjq,iklq->ijl", n_q, p, s, s)
        f = f + np.where(valid, 0.0, 1.0)[:, :, None] * np.eye(f.shape[1])[None]
        step = np.linalg.solve(f + 1e-9 * np.eye(f.shape[1]), g[..., None])[..., 0]
        scale = np.minimum(1.0, 1.0 / np.maximum(np.abs(step).max(axis=1), 1e-12))
        step *= scale[:, None]
        a = np.clip(a + step[:, 0], 0.05, 8.0)
        steps = np.where(np.isnan(steps), np.nan, steps + step[:, 1:])
    return a, steps


def _xpd_se(x: IntArray, onehot: list[FloatArray], post: FloatArray, nodes: FloatArray,
            a: FloatArray, d: FloatArray, c: FloatArray, steps: FloatArray,
            is_poly: NDArray[np.bool_], is_3pl: NDArray[np.bool_], free: NDArray[np.bool_],
            k_max: int, se_a: FloatArray, se_b: FloatArray, se_c: FloatArray,
            se_steps: FloatArray | None, c_prior: tuple[float, float]) -> None:
    """Fill standard errors from ``(sum_n s_n s_n^T)^-1`` (per item block if large)."""
    cols: list[FloatArray] = []
    owners: list[tuple[int, str, int]] = []
    dich = free & ~is_poly
    idx = np.flatnonzero(dich)
    if idx.size:
        p, dp = _dich_derivs(nodes, a[idx], d[idx], c[idx], True)
        names = ("a", "d", "c") if is_3pl[idx].any() else ("a", "d")
        for j, name in enumerate(names):
            # d log P(x | theta) = (x - P) P' / (P Q): for x = 1 P'/P, for x = 0 -P'/Q.
            s1 = post @ (dp[:, j] / p).T
            s0 = post @ (-dp[:, j] / (1 - p)).T
            sc = onehot[1][:, idx] * s1 + onehot[0][:, idx] * s0
            keep = is_3pl[idx] if name == "c" else np.ones(idx.size, bool)
            cols.extend(sc[:, keep].T)
            owners.extend((int(i), name, 0) for i in idx[keep])
    pidx = np.flatnonzero(free & is_poly)
    if pidx.size:
        _, s = _gpcm_scores(nodes, a[pidx], steps[pidx])
        for col, i in enumerate(pidx):
            n_par = 1 + int(np.sum(~np.isnan(steps[i])))
            for j in range(n_par):
                sc = np.zeros(x.shape[0])
                for k in range(s.shape[1]):
                    sc += onehot[k][:, i] * (post @ s[col, k, j])
                cols.append(sc)
                owners.append((int(i), "a" if j == 0 else "step", j - 1))
    if not cols:
        return
    smat = np.stack(cols, axis=1)
    xpd = smat.T @ smat
    # Add the prior curvature on c (the estimate is a posterior mode).
    al, be = c_prior
    for k, (i, name, _) in enumerate(owners):
        if name == "c":
            xpd[k, k] += (al - 1) / c[i] ** 2 + (be - 1) / (1 - c[i]) ** 2
    if xpd.shape[0] <= 3000:
        cov = np.linalg.pinv(xpd)
    else:
        cov = np.zeros_like(xpd)
        item_of = np.array([o[0] for o in owners])
        for i in np.unique(item_of):
            blk = np.flatnonzero(item_of == i)
            cov[np.ix_(blk, blk)] = np.linalg.pinv(xpd[np.ix_(blk, blk)])
    var = np.diag(cov)
    pos = {(o[0], o[1], o[2]): k for k, o in enumerate(owners)}
    for i in np.flatnonzero(free):
        if is_poly[i]:
            se_a[i] = np.sqrt(var[pos[(int(i), "a", -1)]])
            if se_steps is not None:
                for v in range(int(np.sum(~np.isnan(steps[i])))):
                    se_steps[i, v] = np.sqrt(var[pos[(int(i), "step", v)]])
            continue
        ka, kd = pos[(int(i), "a", 0)], pos[(int(i), "d", 0)]
        se_a[i] = np.sqrt(var[ka])
        # b = -d / a: gradient (d / a^2, -1 / a).
        jac = np.array([d[i] / a[i] ** 2, -1.0 / a[i]])
        sub = cov[np.ix_([ka, kd], [ka, kd])]
        se_b[i] = np.sqrt(max(float(jac @ sub @ jac), 0.0))
        if is_3pl[i]:
            se_c[i] = np.sqrt(var[pos[(int(i), "c", 0)]])


def _rmsd(r: FloatArray, n_q: FloatArray, nodes: FloatArray, weights: FloatArray,
          a: FloatArray, d: FloatArray, c: FloatArray, steps: FloatArray,
          is_poly: NDArray[np.bool_], k_max: int) -> FloatArray:
    """RMSD between pseudo-observed and model expected scores (scaled to 0..1)."""
    logp = _log_probs(nodes, a, d, c, steps, is_poly, k_max)
    kk = np.arange(k_max, dtype=np.float64)
    m_i = np.maximum(np.sum(np.isfinite(logp[:, :, 0]), axis=1) - 1, 1)
    expected = np.einsum("ikq,k->iq", np.exp(logp), kk) / m_i[:, None]
    observed = np.einsum("ikq,k->iq", r, kk) / np.maximum(n_q, _EPS) / m_i[:, None]
    f = n_q / np.maximum(n_q.sum(axis=1, keepdims=True), _EPS)
    return np.sqrt(np.sum(f * (observed - expected) ** 2, axis=1))
