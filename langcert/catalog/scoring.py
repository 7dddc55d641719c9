"""Scoring schemes as data, and the pure functions that apply them.

Three kinds of scheme live in `Exam.scoring_scheme`:

- ``cambridge_scale``: skill scores on the Cambridge English Scale. The overall score is the
  mean of the skill scores rounded half up; its band gives the grade and CEFR level. Below
  the lowest band the score is reported with no grade, level or certificate; a skill marked
  absent means no overall score at all.
- ``delta``: one mark, reported as Pass with Distinction, Pass with Merit, Pass or Fail.
- ``adaptive_cefr``: per-skill CEFR levels from the adaptive written test and five oral
  criteria; see `adaptive_result` for the policy.

No database access: these functions take plain data and are tested on their own.
"""

from dataclasses import dataclass, field
from typing import Any

from langcert.core.cefr import LEVEL_ORDER, level_rank

ABSENT = "absent"

# Cambridge English Scale score to CEFR level, for skill scores (DESIGN.md).
SCALE_CEFR_FLOORS: tuple[tuple[int, str], ...] = (
    (200, "C2"),
    (180, "C1"),
    (160, "B2"),
    (140, "B1"),
    (120, "A2"),
    (100, "A1"),
)


class ScoringError(ValueError):
    """Scores that do not fit the exam's scheme. `code` names the kind of problem."""

    def __init__(self, code: str, message: str, skill: str | None = None):
        super().__init__(message)
        self.code = code
        self.skill = skill


@dataclass(frozen=True)
class SkillScore:
    skill: str
    score: int | None  # None when absent
    cefr: str | None


@dataclass(frozen=True)
class ScaleResult:
    overall: int | None
    grade: str | None
    cefr: str | None
    certificate: bool
    outcome: str  # grade_a | grade_b | grade_c | level | no_award | absent
    skills: tuple[SkillScore, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DeltaResult:
    mark: int | None
    outcome: str  # pass_distinction | pass_merit | pass | fail | absent


@dataclass(frozen=True)
class AdaptiveResult:
    written_level: str
    oral_level: str
    final_level: str
    certificate: bool


def round_half_up_mean(values: list[int]) -> int:
    """Mean of positive integers rounded half up, in exact integer arithmetic."""
    return (2 * sum(values) + len(values)) // (2 * len(values))


def scale_score_cefr(score: int) -> str:
    for floor, level in SCALE_CEFR_FLOORS:
        if score >= floor:
            return level
    return "BELOW_A1"


def _checked_scores(scheme: dict[str, Any], scores: dict[str, Any]) -> dict[str, int | None]:
    low, high = scheme["reported_range"]
    unknown = sorted(set(scores) - set(scheme["skills"]))
    if unknown:
        raise ScoringError("unknown_skill", f"Unknown skill: {unknown[0]}", unknown[0])
    checked: dict[str, int | None] = {}
    for skill in scheme["skills"]:
        if skill not in scores or scores[skill] in (None, ""):
            raise ScoringError("missing_skill", f"Missing score for {skill}", skill)
        value = scores[skill]
        if value == ABSENT:
            checked[skill] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScoringError("not_a_score", f"{skill}: {value!r} is not a whole number", skill)
        if not low <= value <= high:
            raise ScoringError(
                "out_of_range", f"{skill}: {value} is outside {low}–{high}", skill
            )
        checked[skill] = value
    return checked


def score_cambridge_scale(scheme: dict[str, Any], scores: dict[str, Any]) -> ScaleResult:
    """Apply a Cambridge English Scale scheme to skill scores (ints, or "absent")."""
    checked = _checked_scores(scheme, scores)
    skills = tuple(
        SkillScore(skill, score, scale_score_cefr(score) if score is not None else None)
        for skill, score in checked.items()
    )
    if any(score is None for score in checked.values()):
        return ScaleResult(None, None, None, False, ABSENT, skills)
    overall = round_half_up_mean([s for s in checked.values() if s is not None])
    for band in scheme["bands"]:
        if band["min"] <= overall <= band["max"]:
            grade = band["grade"]
            outcome = f"grade_{grade.lower()}" if grade else "level"
            return ScaleResult(overall, grade, band["cefr"], True, outcome, skills)
    return ScaleResult(overall, None, None, False, "no_award", skills)


def score_delta(scheme: dict[str, Any], scores: dict[str, Any]) -> DeltaResult:
    """Apply a DELTA-style scheme: one mark, a result word by threshold."""
    checked = _checked_scores(scheme, scores)
    (mark,) = checked.values()
    if mark is None:
        return DeltaResult(None, ABSENT)
    for band in scheme["bands"]:
        if mark >= band["min"]:
            return DeltaResult(mark, band["outcome"])
    return DeltaResult(mark, "fail")


def median_level(levels: list[str]) -> str:
    """The median of CEFR levels; with an even count, the lower of the two middle ones."""
    if not levels:
        raise ScoringError("missing_skill", "No levels to combine")
    ordered = sorted(levels, key=level_rank)
    return ordered[(len(ordered) - 1) // 2]


def adaptive_result(
    scheme: dict[str, Any],
    written_levels: dict[str, str],
    oral_levels: dict[str, str],
    target_level: str,
) -> AdaptiveResult:
    """The adaptive certification policy (documented in docs/result-policy.md).

    Written level = median of the five written skill levels; oral level = median of the
    five oral criteria; final level = the lower of the two. The certificate is earned when
    the final level reaches the centre's target, and always at C2.
    """
    for expected, given in (
        (scheme["written_skills"], written_levels),
        (scheme["oral_criteria"], oral_levels),
    ):
        missing = [skill for skill in expected if skill not in given]
        if missing:
            raise ScoringError("missing_skill", f"Missing level for {missing[0]}", missing[0])
        for skill in expected:
            if given[skill] not in LEVEL_ORDER:
                raise ScoringError("not_a_level", f"{skill}: {given[skill]!r}", skill)
    written = median_level([written_levels[s] for s in scheme["written_skills"]])
    oral = median_level([oral_levels[s] for s in scheme["oral_criteria"]])
    final = min(written, oral, key=level_rank)
    certificate = final == "C2" or level_rank(final) >= level_rank(target_level)
    return AdaptiveResult(written, oral, final, certificate)
