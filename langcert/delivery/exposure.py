"""Exposure control of the live item bank, computed by simulating the written test.

The adaptive test gives a selected item with probability `Item.exposure_k` (the engine's
Sympson-Hetter lottery, one stratum), so that no item is seen by more than a target
share of candidates. This computes those probabilities for one language by running the
live test's own selection (its bank and design, the default cut scores, the section
priors) on simulated candidates, and stores them on the items.
"""

from collections.abc import Sequence

import numpy as np
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from langcert.catalog.models import Language
from langcert.core.audit import record_event
from langcert.delivery.adaptive import (
    DEFAULT_CUTS,
    SECTION_ORDER,
    SKILL_CORRELATION,
    Bank,
    bank_version_key,
    skill_bank,
)
from langcert.itembank.models import Item
from langcert.psychometrics.bank import SkillPool
from langcert.psychometrics.exposure import calibrate_sympson_hetter
from langcert.psychometrics.simulation import (
    Design,
    draw_abilities,
    exposure_rates,
    run_battery,
)


def calibrate_live_exposure(*, actor, language: Language, target: float = 0.25,
                            candidates: int = 2000, rounds: int = 10,
                            seed: int = 0) -> dict[str, tuple[float, float]]:
    """Compute and store `exposure_k` for every served item of `language`.

    Returns, per skill, the highest share of simulated candidates given one item without
    control and with the stored parameters (a small bank may not reach the target: the
    lottery then gives the best item anyway, and the figure says so)."""
    banks = _banks(language)
    if not banks:
        raise LookupError(f"no items for {language.code}")
    skills = list(banks)
    configs = [banks[skill].config for skill in skills]

    # Each section starts from the prior the sections before it give, as live.
    live = Design(correlated_prior=True, rho=SKILL_CORRELATION)

    def simulate(pools: Sequence[SkillPool], round_: int):
        rng = np.random.default_rng(seed + round_)
        theta = draw_abilities(rng, candidates, len(pools), SKILL_CORRELATION)
        runs = run_battery(pools, theta, rng, live, [DEFAULT_CUTS] * len(pools),
                           configs=configs, track_selected=True)
        return runs, theta

    pools, report = calibrate_sympson_hetter([banks[skill].pool for skill in skills],
                                             simulate, r_max=target, r_total=target,
                                             edges=(), n_iter=rounds)
    check, _theta = simulate(pools, rounds)  # a fresh sample, with the final parameters
    summary = {skill: (report.max_unconditional[s][0],
                       float(exposure_rates(check[s], pools[s].n_items).max()))
               for s, skill in enumerate(skills)}
    _store(language, dict(zip(skills, pools, strict=True)))
    record_event(actor=actor, action="itembank.exposure_calibrated", target=language,
                 data={"target": target, "candidates": candidates, "rounds": rounds,
                       "max_exposure": {skill: after for skill, (_b, after) in summary.items()}})
    return summary


def _banks(language: Language) -> dict[str, Bank]:
    banks = {}
    for skill in SECTION_ORDER:
        try:
            banks[skill] = skill_bank(language.pk, skill)
        except LookupError:  # a skill without items has nothing to control
            continue
    return banks


def _store(language: Language, calibrated: dict[str, SkillPool]) -> None:
    k_of = {item_id: k for pool in calibrated.values()
            for item_id, k in zip(pool.item_ids.tolist(), pool.sh_k[:, 0].tolist(), strict=True)}
    now = timezone.now()
    with transaction.atomic():
        items = list(Item.objects.filter(pk__in=k_of))
        for item in items:
            item.exposure_k = round(k_of[item.pk], 6)
            item.updated_at = now
        Item.objects.bulk_update(items, ["exposure_k", "updated_at"])
    # bulk_update sends no signal: drop the banks' version keys, once the rows are in.
    cache.delete_many([bank_version_key(language.pk, skill) for skill in calibrated])
