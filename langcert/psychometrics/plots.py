"""PNG plots for ``simulate --plots DIR`` (matplotlib is imported only here)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from .bank import SkillPool
from .models import item_information
from .simulation import SkillRun, exposure_rates


def write_plots(
    directory: str,
    pools: Sequence[SkillPool],
    runs: Sequence[SkillRun],
    theta: np.ndarray,
    names: Sequence[str],
    cuts: Sequence[Sequence[float]],
) -> list[str]:
    """Write test information, conditional SE, theta recovery and exposure histograms."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(directory, exist_ok=True)
    grid = np.linspace(-4, 4, 161)
    written = []

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for pool, run, name in zip(pools, runs, names, strict=True):
        info = item_information(grid, pool.a, pool.b, pool.c, pool.steps)  # (T, I)
        items = run.items[:, run.scored]
        # Mean information of the administered tests (what the candidates actually got).
        mean_info = np.zeros_like(grid)
        for row in items[: min(500, items.shape[0])]:
            mean_info += info[:, row[row >= 0]].sum(axis=1)
        ax.plot(grid, mean_info / min(500, items.shape[0]), label=name)
    for cut in cuts[0]:
        ax.axvline(cut, color="grey", lw=0.5, ls=":")
    ax.set(xlabel="theta", ylabel="information", title="Mean information of administered tests")
    ax.legend()
    written.append(_save(fig, directory, "test_information.png"))

    fig, ax = plt.subplots(figsize=(7, 4.5))
    bins = np.linspace(-3, 3, 25)
    mids = 0.5 * (bins[1:] + bins[:-1])
    for s, (run, name) in enumerate(zip(runs, names, strict=True)):
        idx = np.digitize(theta[:, s], bins) - 1
        se = [run.se[idx == i].mean() if np.any(idx == i) else np.nan for i in range(mids.size)]
        rmse = [np.sqrt(np.mean((run.theta - theta[:, s])[idx == i] ** 2))
                if np.any(idx == i) else np.nan for i in range(mids.size)]
        line, = ax.plot(mids, se, label=f"{name} SE")
        ax.plot(mids, rmse, ls="--", color=line.get_color(), lw=0.8)
    ax.set(xlabel="true theta", ylabel="SE (solid) / RMSE (dashed)", title="Conditional SE")
    ax.legend(fontsize=7)
    written.append(_save(fig, directory, "conditional_se.png"))

    fig, axes = plt.subplots(1, len(runs), figsize=(3 * len(runs), 3.2), sharey=True)
    axes = np.atleast_1d(axes)
    for s, (ax, run, name) in enumerate(zip(axes, runs, names, strict=True)):
        ax.scatter(theta[:, s], run.theta, s=1, alpha=0.3)
        ax.plot([-4, 4], [-4, 4], color="k", lw=0.5)
        ax.set(title=name, xlabel="true theta", xlim=(-4, 4), ylim=(-4, 4))
    axes[0].set_ylabel("estimate")
    written.append(_save(fig, directory, "theta_recovery.png"))

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for pool, run, name in zip(pools, runs, names, strict=True):
        rates = exposure_rates(run, pool.n_items)[~pool.is_pretest]
        ax.hist(rates, bins=40, histtype="step", label=name)
    ax.set(xlabel="exposure rate", ylabel="items", title="Item exposure", yscale="log")
    ax.legend()
    written.append(_save(fig, directory, "exposure_histogram.png"))
    return written


def _save(fig: object, directory: str, name: str) -> str:
    import matplotlib.pyplot as plt

    path = os.path.join(directory, name)
    fig.savefig(path, dpi=110, bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return path
