"""The bridge between the item bank and the psychometric engine.

Each (language, skill) bank becomes a `SkillPool` of arrays, rebuilt only when the bank
changes: the version key is read from the database on every call, so every web process
sees the same bank and no state lives in a process beyond this derived, read-only cache.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Max

from langcert.itembank.models import Item
from langcert.psychometrics import CatConfig, SkillPool, make_pool
from langcert.psychometrics.prior import conditional_prior, equicorrelated, gaussian_message

SECTION_ORDER = ("vocabulary", "grammar", "expressions", "reading", "listening")
QUESTIONS_PER_SECTION = 10
DEFAULT_CUTS = (-1.6, -0.8, 0.0, 0.8, 1.6)
SKILL_CORRELATION = 0.8
TYPE_CODES = {value: code for code, value in enumerate(Item.Type.values)}
SERVED_STATUSES = (Item.Status.LIVE, Item.Status.PRETEST)


@dataclass(frozen=True)
class Bank:
    pool: SkillPool
    config: CatConfig
    items: dict[int, Item]


def _bank_version(language_id: int, skill: str) -> tuple:
    """What identifies the bank's current content; kept in the shared cache (Redis or the
    database) and dropped whenever an item changes (itembank/signals.py)."""

    def compute() -> tuple:
        summary = Item.objects.filter(
            language_id=language_id, skill=skill, status__in=SERVED_STATUSES
        ).aggregate(count=Count("id"), changed=Max("updated_at"))
        return summary["count"], summary["changed"]

    return tuple(cache.get_or_set(bank_version_key(language_id, skill), compute, 3600))


def bank_version_key(language_id: int, skill: str) -> str:
    return f"itembank-version:{language_id}:{skill}"


def skill_bank(language_id: int, skill: str) -> Bank:
    return _build_bank(language_id, skill, _bank_version(language_id, skill))


@lru_cache(maxsize=64)
def _build_bank(language_id: int, skill: str, version: tuple) -> Bank:
    items = list(
        Item.objects.filter(language_id=language_id, skill=skill, status__in=SERVED_STATUSES)
        .prefetch_related("enemies").order_by("id")
    )
    if not items:
        raise LookupError(f"no items for skill {skill}")
    width = max((len(i.b) if isinstance(i.b, list) else 1) for i in items)
    steps = np.full((len(items), width), np.nan)
    for row, item in enumerate(items):
        thresholds = item.b if isinstance(item.b, list) else [item.b]
        steps[row, : len(thresholds)] = thresholds
    pool = make_pool(
        a=[i.a for i in items],
        b=[i.difficulty for i in items],
        c=[i.c for i in items],
        steps=steps,
        item_type=[TYPE_CODES[i.type] for i in items],
        enemies=_enemy_sets(items),
        is_pretest=[i.status == Item.Status.PRETEST for i in items],
        item_ids=[i.pk for i in items],
        sh_k=[[i.exposure_k] for i in items],
    ).prepare()
    live_types = [TYPE_CODES[i.type] for i in items if i.status == Item.Status.LIVE]
    # Information aimed at the nearest cut score when a band decision is at stake: the
    # design that classified best in the engine's simulations (bench/psychometrics).
    config = CatConfig(test_length=QUESTIONS_PER_SECTION, rule="cut",
                       type_quota=type_quota(live_types, QUESTIONS_PER_SECTION, pool.n_types))
    return Bank(pool=pool, config=config, items={i.pk: i for i in items})


def skill_cuts(scoring_scheme: dict, skill: str) -> list[float]:
    """Theta cut scores between the CEFR bands of a skill, held in the exam's scheme."""
    return list(scoring_scheme.get("cut_scores", {}).get(skill, DEFAULT_CUTS))


def _enemy_sets(items: list[Item]) -> np.ndarray:
    """One set id per enemy pair, padded with -1: items sharing an id never meet."""
    pairs = sorted({tuple(sorted((item.pk, enemy.pk))) for item in items
                    for enemy in item.enemies.all()})
    memberships: dict[int, list[int]] = {item.pk: [] for item in items}
    for set_id, pair in enumerate(pairs):
        for pk in pair:
            if pk in memberships:
                memberships[pk].append(set_id)
    width = max([1] + [len(ids) for ids in memberships.values()])
    table = np.full((len(items), width), -1, dtype=np.int64)
    for row, item in enumerate(items):
        table[row, : len(memberships[item.pk])] = memberships[item.pk]
    return table


def type_quota(type_codes: list[int], length: int, n_types: int) -> tuple[int, ...]:
    """Balance item types in a section: each type present gets a near-equal share, capped
    by what the bank holds, the rest going to the most plentiful types."""
    available = np.bincount(np.asarray(type_codes, dtype=np.int64), minlength=n_types)
    quota = np.zeros(n_types, dtype=np.int64)
    for _ in range(length):
        open_types = np.flatnonzero(available > quota)
        if open_types.size == 0:
            break
        # The type furthest below its fair share, ties to the type with most items.
        best = min(open_types, key=lambda t: (quota[t], -available[t]))
        quota[best] += 1
    return tuple(int(q) for q in quota)


def correlated_prior(done: list[tuple[int, float, float, float, float]],
                     skill_index: int) -> tuple[float, float]:
    """Prior mean and SD of a skill given the skills already taken.

    `done` holds (skill index, theta, se, prior mean, prior sd) of finished sections.
    Abilities are taken as standard normal with correlation 0.8 between skills.
    """
    n = len(SECTION_ORDER)
    lam, h = np.zeros((1, n)), np.zeros((1, n))
    for index, theta, se, prior_mean, prior_sd in done:
        lam[0, index], h[0, index] = gaussian_message(theta, se, prior_mean, prior_sd)
    mean, sd = conditional_prior(np.zeros(n), equicorrelated(n, SKILL_CORRELATION), lam, h,
                                 skill_index)
    return float(mean[0]), float(sd[0])
