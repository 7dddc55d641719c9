"""Calibration: parameter recovery, agreement with mirt, fixed items, fit flags."""

from __future__ import annotations

import numpy as np
from mirt import fit_mirt

from langcert.psychometrics.calibration import calibrate
from langcert.psychometrics.models import gpcm_probs


def _data_2pl(n=2000, n_items=40, seed=3):
    rng = np.random.default_rng(seed)
    a = np.exp(rng.normal(0.1, 0.3, n_items))
    b = rng.normal(0, 1, n_items)
    th = rng.normal(size=n)
    x = (rng.random((n, n_items)) < 1 / (1 + np.exp(-a * (th[:, None] - b)))).astype(int)
    return x, a, b


def test_2pl_recovery_and_agreement_with_mirt() -> None:
    x, a, b = _data_2pl()
    res = calibrate(x, "2PL")
    assert res.converged
    assert np.corrcoef(res.a, a)[0, 1] > 0.95
    assert np.corrcoef(res.b, b)[0, 1] > 0.99
    ref = fit_mirt(x, model="2PL")
    assert np.corrcoef(res.a, ref.model.discrimination)[0, 1] >= 0.99
    assert np.corrcoef(res.b, ref.model.difficulty)[0, 1] >= 0.99
    # Standard errors: same order as mirt's observed-information ones.
    ratio = res.se_b / ref.standard_errors["difficulty"]
    assert 0.8 < np.median(ratio) < 1.25
    ratio = res.se_a / ref.standard_errors["discrimination"]
    assert 0.8 < np.median(ratio) < 1.3
    # The SE tracks the actual error.
    z = (res.b - b) / res.se_b
    assert 0.6 < np.std(z) < 1.5


def test_sparse_matrix_with_missing_answers() -> None:
    x, a, b = _data_2pl(n=3000, seed=4)
    rng = np.random.default_rng(5)
    x = x.copy()
    x[rng.random(x.shape) < 0.5] = -1
    res = calibrate(x, "2PL")
    assert np.corrcoef(res.b, b)[0, 1] > 0.98
    assert np.corrcoef(res.a, a)[0, 1] > 0.85


def test_3pl_recovery() -> None:
    rng = np.random.default_rng(6)
    n, n_items = 4000, 25
    a, b = np.exp(rng.normal(0.2, 0.2, n_items)), rng.normal(0, 1, n_items)
    c = rng.uniform(0.1, 0.25, n_items)
    th = rng.normal(size=n)
    x = (rng.random((n, n_items)) < c + (1 - c) / (1 + np.exp(-a * (th[:, None] - b)))).astype(int)
    res = calibrate(x, "3PL")
    assert np.corrcoef(res.b, b)[0, 1] > 0.97
    assert np.sqrt(np.mean((res.c - c) ** 2)) < 0.07
    assert np.all(np.isfinite(res.se_c))


def test_gpcm_recovery_with_missing_data() -> None:
    rng = np.random.default_rng(7)
    n, n_items = 3000, 15
    a = np.exp(rng.normal(0, 0.2, n_items))
    steps = np.sort(rng.normal(0, 1, (n_items, 3)), axis=1)
    steps[:5, 2] = np.nan  # some items have two steps only
    th = rng.normal(size=n)
    p = gpcm_probs(th, a, steps)
    x = (np.cumsum(p, axis=2)[:, :, :-1] < rng.random((n, n_items))[:, :, None]).sum(axis=2)
    x[rng.random(x.shape) < 0.3] = -1
    res = calibrate(x, "GPCM")
    assert res.converged
    assert np.sqrt(np.mean((res.a - a) ** 2)) < 0.12
    err = (res.steps - steps)[~np.isnan(steps)]
    assert np.sqrt(np.mean(err**2)) < 0.2
    assert np.all(np.isnan(res.steps[:5, 2]))


def test_fixed_item_calibration_puts_new_items_on_the_bank_scale() -> None:
    rng = np.random.default_rng(8)
    n_anchor, n_new, n = 30, 8, 3000
    a = np.exp(rng.normal(0, 0.3, n_anchor + n_new))
    b = rng.normal(0, 1, n_anchor + n_new)
    th = rng.normal(0.5, 1.2, n)  # the pretest sample is abler than the bank's reference
    x = (rng.random((n, a.size)) < 1 / (1 + np.exp(-a * (th[:, None] - b)))).astype(int)
    x[: n // 2, n_anchor: n_anchor + n_new // 2] = -1
    x[n // 2:, n_anchor + n_new // 2:] = -1
    fixed = np.arange(a.size) < n_anchor
    res = calibrate(x, "2PL", fixed=fixed, fixed_a=a, fixed_b=b)
    np.testing.assert_allclose(res.a[fixed], a[fixed])
    np.testing.assert_allclose(res.b[fixed], b[fixed])
    assert abs(res.latent_mean - 0.5) < 0.1 and abs(res.latent_sd - 1.2) < 0.1
    assert np.max(np.abs(res.b[~fixed] - b[~fixed])) < 0.4
    assert np.all(np.isnan(res.se_b[fixed])) and np.all(np.isfinite(res.se_b[~fixed]))


def test_item_fit_flags_a_misbehaving_item() -> None:
    x, _, _ = _data_2pl(n=3000, n_items=20, seed=9)
    rng = np.random.default_rng(10)
    th_proxy = x.sum(axis=1)
    # Item 0 is answered right by the middle scorers only: not a monotone curve.
    mid = (th_proxy > np.quantile(th_proxy, 0.3)) & (th_proxy < np.quantile(th_proxy, 0.7))
    x[:, 0] = (rng.random(x.shape[0]) < np.where(mid, 0.9, 0.1)).astype(int)
    x[:, 1] = (rng.random(x.shape[0]) < 0.5).astype(int)  # pure noise
    res = calibrate(x, "2PL")
    assert "misfit_rmsd" in res.flags[0]
    assert "low_discrimination" in res.flags[1]
    assert sum(bool(f) for f in res.flags[2:]) <= 1
