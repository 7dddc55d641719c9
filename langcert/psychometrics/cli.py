"""Command line: ``python -m langcert.psychometrics {simulate,estimate}``.

``simulate`` with no options runs the reference bank (see :mod:`.simulation`) with
5,000 examinees and a fixed seed, in the shipped design (``--design recommended``:
lookahead selection with exposure prices), after computing the prices by simulation
on examinees drawn from other seeds (40 rounds of 4,000, about four minutes;
``--save-bank`` keeps them and ``--bank`` reuses them).  Designs that use the
Sympson-Hetter lottery (``cut``, ``exposure``, ``lookahead``) compute its parameters
the same way.  ``--json`` prints one object whose ``skills`` maps each skill to
``rmse``, ``bias``, ``mean_se``, ``exact_band``, ``within_one_band``,
``max_exposure`` and ``mean_exposure`` (fractions).

``estimate`` reads ``{"items": [{"a": .., "b": .., "c": ..}, ...], "responses": [..]}``
on stdin and writes ``{"eap": {"theta": .., "se": ..}, "map": .., "mle": .., "wle": ..}``
(EAP and MAP with a standard normal prior).  An item may carry ``"steps"``
instead of ``"b"`` for the partial credit model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, TextIO

import numpy as np

from .bank import SkillPool
from .estimation import estimate_all
from .exposure import DEFAULT_EDGES, calibrate_prices, calibrate_sympson_hetter
from .selection import CatConfig
from .simulation import (
    BASELINE,
    CUT_RULE,
    DEFAULT_SIM_SEED,
    LOOKAHEAD,
    RECOMMENDED,
    REFERENCE_CUTS,
    REFERENCE_ITEMS,
    REFERENCE_RHO,
    REFERENCE_SEED,
    REFERENCE_SKILLS,
    Design,
    SkillRun,
    draw_abilities,
    generate_pool,
    run_battery,
    skill_metrics,
)

#: Exposure targets of the shipped design (conditional, unconditional).
R_CONDITIONAL = 0.35
R_TOTAL = 0.22
#: Examinees and rounds used to compute the Sympson-Hetter parameters or the prices.
CAL_EXAMINEES = 4000
CAL_ROUNDS = 10
PRICE_ROUNDS = 40
#: Offset between the evaluation seed and the exposure-calibration seeds.
CAL_SEED_OFFSET = 1_000_003


class ProgressBar:
    """A plain text progress bar on a stream (stderr), silent when disabled."""

    def __init__(self, total: int, label: str, stream: TextIO = sys.stderr,
                 enabled: bool = True) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.label = label
        self.stream = stream
        self.enabled = enabled
        self.start = time.perf_counter()

    def __call__(self, k: int = 1) -> None:
        before = int(100 * self.done / self.total)
        self.done = min(self.total, self.done + k)
        # Redraw only when the whole percentage changes: stderr stays small in logs.
        if not self.enabled or (int(100 * self.done / self.total) == before
                                and self.done < self.total):
            return
        width = 30
        fill = int(width * self.done / self.total)
        el = time.perf_counter() - self.start
        self.stream.write(f"\r{self.label} [{'#' * fill}{'.' * (width - fill)}] "
                          f"{100 * self.done / self.total:5.1f}% {el:6.1f}s")
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


DESIGNS: dict[str, Design] = {
    "recommended": RECOMMENDED,
    "cut": CUT_RULE,
    "baseline": BASELINE,
    "exposure": Design(CatConfig(k=1)),
    "lookahead": LOOKAHEAD,
}


def _build_bank(args: argparse.Namespace) -> list[SkillPool]:
    rng = np.random.default_rng(args.bank_seed)
    return [
        generate_pool(rng, args.items, n_types=args.types, n_enemy_sets=args.enemy_sets,
                      n_pretest=args.pretest, guessing=args.guessing,
                      id_offset=s * 100_000)
        for s in range(args.skills)
    ]


def _skill_names(n: int) -> list[str]:
    if n <= len(REFERENCE_SKILLS):
        return list(REFERENCE_SKILLS[:n])
    return [f"skill{s + 1}" for s in range(n)]


def run_simulation(args: argparse.Namespace) -> dict[str, Any]:
    """Build or load the bank, compute exposure parameters, simulate, summarise."""
    design = DESIGNS[args.design]
    pretest_positions = tuple(args.pretest_positions or ())
    quota = tuple(args.quota) if args.quota else None
    config = replace(design.config, test_length=args.test_length, type_quota=quota,
                     pretest_positions=pretest_positions,
                     exposure=design.config.exposure and not args.no_exposure)
    design = replace(design, config=config, rho=args.rho,
                     priced=design.priced and not args.no_exposure)
    if args.bank:
        with open(args.bank, encoding="utf-8") as fh:
            pools = [SkillPool.from_dict(d) for d in json.load(fh)["skills"]]
    else:
        pools = _build_bank(args)
    names = _skill_names(len(pools))
    cuts = [REFERENCE_CUTS] * len(pools)
    steps_per_run = len(pools) * config.total_length
    need_cal = (config.exposure or design.priced) and not args.bank
    rounds = args.cal_rounds or (PRICE_ROUNDS if design.priced else CAL_ROUNDS)
    total = steps_per_run * ((rounds * args.cal_examinees if need_cal else 0)
                             + args.examinees)
    bar = ProgressBar(total, "simulate", enabled=not args.quiet)
    timings: dict[str, float] = {}
    if need_cal:
        t0 = time.perf_counter()

        def runner(ps: Sequence[SkillPool], seed: int) -> tuple[list[SkillRun], np.ndarray]:
            rng = np.random.default_rng(args.seed + CAL_SEED_OFFSET + seed)
            th = draw_abilities(rng, args.cal_examinees, len(ps), args.rho,
                                args.distribution, args.mean, args.sd)
            return run_battery(ps, th, rng, design, cuts, progress=bar,
                               track_selected=not design.priced), th

        if design.priced:
            pools, _ = calibrate_prices(pools, runner, r_total=args.r_total, n_iter=rounds)
        else:
            pools, _ = calibrate_sympson_hetter(pools, runner, r_max=args.r_conditional,
                                                r_total=args.r_total, edges=DEFAULT_EDGES,
                                                n_iter=rounds)
        timings["exposure_calibration_s"] = time.perf_counter() - t0
    if args.save_bank:
        with open(args.save_bank, "w", encoding="utf-8") as fh:
            json.dump({"skills": [p.to_dict() for p in pools]}, fh)
    rng = np.random.default_rng(args.seed)
    theta = draw_abilities(rng, args.examinees, len(pools), args.rho, args.distribution,
                           args.mean, args.sd)
    t0 = time.perf_counter()
    runs = run_battery(pools, theta, rng, design, cuts, progress=bar)
    timings["simulation_s"] = time.perf_counter() - t0
    skills = {
        names[s]: skill_metrics(run, theta[:, s], cuts[s], pools[s]) for s, run in enumerate(runs)
    }
    keys = next(iter(skills.values())).keys()
    average = {k: float(np.mean([m[k] for m in skills.values()])) for k in keys}
    average["max_exposure"] = max(m["max_exposure"] for m in skills.values())
    if args.plots:
        from .plots import write_plots

        write_plots(args.plots, pools, runs, theta, names, cuts)
    return {
        "skills": skills,
        "average": average,
        "config": {
            "examinees": args.examinees, "seed": args.seed, "bank_seed": args.bank_seed,
            "items_per_skill": int(pools[0].n_items), "test_length": config.test_length,
            "design": args.design,
            "exposure_control": "prices" if design.priced else
            "sympson-hetter" if config.exposure else "none",
            "randomesque_k": config.k, "selection_rule": config.rule,
            "lookahead_candidates": config.lookahead, "jitter": config.jitter,
            "correlated_prior": design.correlated_prior, "augmented": design.augment,
            "decision": design.decision, "rho": design.rho,
            "r_conditional": args.r_conditional, "r_total": args.r_total,
            "distribution": args.distribution, "cuts": list(REFERENCE_CUTS),
        },
        "timing": timings,
    }


def _print_table(out: dict[str, Any], stream: TextIO) -> None:
    cols = ["rmse", "bias", "mean_se", "exact_band", "within_one_band", "max_exposure",
            "mean_exposure"]
    stream.write(f"{'skill':<12}" + "".join(f"{c:>16}" for c in cols) + "\n")
    rows = list(out["skills"].items()) + [("average", out["average"])]
    for name, m in rows:
        stream.write(f"{name:<12}" + "".join(f"{m[c]:>16.4f}" for c in cols) + "\n")
    cfg = out["config"]
    stream.write(f"\n{cfg['examinees']} examinees, seed {cfg['seed']}, bank seed "
                 f"{cfg['bank_seed']}, {cfg['items_per_skill']} items per skill, "
                 f"{cfg['test_length']} items per skill test, design {cfg['design']}\n")


def _items_from_json(items: list[dict[str, Any]]) -> tuple[np.ndarray, ...]:
    n = len(items)
    a = np.array([float(it.get("a", 1.0)) for it in items])
    c = np.array([float(it.get("c", 0.0) or 0.0) for it in items])
    width = max([len(it.get("steps") or []) for it in items] + [1])
    steps = np.full((n, width), np.nan)
    b = np.zeros(n)
    for i, it in enumerate(items):
        st = it.get("steps")
        if st:
            steps[i, : len(st)] = st
            b[i] = float(np.mean(st))
        else:
            b[i] = float(it["b"])
            steps[i, 0] = b[i]
    poly = np.any(np.sum(~np.isnan(steps), axis=1) > 1)
    return a, b, c, (steps if poly else None)


def run_estimate(data: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The four estimates for one response pattern given as JSON (see module doc)."""
    a, b, c, steps = _items_from_json(data["items"])
    x = np.array([-1 if v is None else int(v) for v in data["responses"]], dtype=np.int64)
    if x.size != a.size:
        raise ValueError("need one response per item")
    res = estimate_all(x, a, b, c, steps)
    return {k: {"theta": float(v.theta), "se": float(v.se)} for k, v in res.items()}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m langcert.psychometrics",
                                description="LangCert psychometric engine")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("simulate", help="simulate the adaptive test and report accuracy")
    s.add_argument("--items", type=int, default=REFERENCE_ITEMS, help="bank size per skill")
    s.add_argument("--skills", type=int, default=len(REFERENCE_SKILLS))
    s.add_argument("--examinees", type=int, default=5000)
    s.add_argument("--distribution", choices=["normal", "uniform"], default="normal",
                   help="ability distribution (multivariate normal, or uniform on mean±3sd)")
    s.add_argument("--mean", type=float, default=0.0)
    s.add_argument("--sd", type=float, default=1.0)
    s.add_argument("--rho", type=float, default=REFERENCE_RHO, help="correlation of skills")
    s.add_argument("--seed", type=int, default=DEFAULT_SIM_SEED, help="examinee seed")
    s.add_argument("--bank-seed", type=int, default=REFERENCE_SEED)
    s.add_argument("--bank", help="load pools (with exposure parameters) from this JSON")
    s.add_argument("--save-bank", help="write the pools and exposure parameters as JSON")
    s.add_argument("--test-length", type=int, default=10)
    s.add_argument("--design", choices=sorted(DESIGNS), default="recommended")
    s.add_argument("--no-exposure", action="store_true",
                   help="no exposure control (neither Sympson-Hetter nor prices)")
    s.add_argument("--r-conditional", type=float, default=R_CONDITIONAL)
    s.add_argument("--r-total", type=float, default=R_TOTAL)
    s.add_argument("--cal-examinees", type=int, default=CAL_EXAMINEES)
    s.add_argument("--cal-rounds", type=int, default=None,
                   help=f"exposure calibration rounds ({CAL_ROUNDS} for Sympson-Hetter, "
                        f"{PRICE_ROUNDS} for prices)")
    s.add_argument("--types", type=int, default=1, help="item types per skill")
    s.add_argument("--quota", type=int, nargs="*", help="items per type in each skill test")
    s.add_argument("--enemy-sets", type=int, default=0, help="enemy pairs per skill")
    s.add_argument("--pretest", type=int, default=0, help="pretest items per skill")
    s.add_argument("--pretest-positions", type=int, nargs="*", help="0-based positions")
    s.add_argument("--guessing", type=float, default=None, help="mean c (3PL bank)")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--plots", metavar="DIR", help="write PNG plots (needs matplotlib)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    e = sub.add_parser("estimate", help="EAP, MAP, MLE and WLE for one pattern (JSON on stdin)")
    e.add_argument("--json", action="store_true", help="print JSON (the default format)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "estimate":
        out = run_estimate(json.load(sys.stdin))
        if args.json:
            json.dump(out, sys.stdout)
            sys.stdout.write("\n")
        else:
            for k, v in out.items():
                sys.stdout.write(f"{k.upper():<4} theta {v['theta']:+.4f}  se {v['se']:.4f}\n")
        return 0
    if args.quota and sum(args.quota) != args.test_length:
        raise SystemExit("--quota must add up to --test-length")
    result = run_simulation(args)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_table(result, sys.stdout)
    return 0
