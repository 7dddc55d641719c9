"""The scoring schemes: every band boundary of every Cambridge exam, DELTA, adaptive."""

import pytest

from langcert.catalog import reference_data
from langcert.catalog.models import Exam
from langcert.catalog.scoring import (
    ScoringError,
    adaptive_result,
    round_half_up_mean,
    scale_score_cefr,
    score_cambridge_scale,
    score_delta,
)

# DESIGN.md's table, written out independently of reference_data:
# exam code: (grade A range, B range, C range, level-below range, reported range, levels)
CAMBRIDGE_TABLE = {
    "a2-key": ((140, 150), (133, 139), (120, 132), (100, 119), (82, 150), ("B1", "A2", "A1")),
    "b1-preliminary": ((160, 170), (153, 159), (140, 152), (120, 139), (102, 170),
                       ("B2", "B1", "A2")),
    "b2-first": ((180, 190), (173, 179), (160, 172), (140, 159), (122, 190), ("C1", "B2", "B1")),
    "c1-advanced": ((200, 210), (193, 199), (180, 192), (160, 179), (142, 210),
                    ("C2", "C1", "B2")),
    "c2-proficiency": ((220, 230), (213, 219), (200, 212), (180, 199), (162, 230),
                       ("C2", "C2", "C1")),
    "b1-business-preliminary": ((160, 170), (153, 159), (140, 152), (120, 139), (102, 170),
                                ("B2", "B1", "A2")),
    "b2-business-vantage": ((180, 190), (173, 179), (160, 172), (140, 159), (122, 190),
                            ("C1", "B2", "B1")),
    "c1-business-higher": ((200, 210), (193, 199), (180, 192), (160, 179), (142, 210),
                           ("C2", "C1", "B2")),
}
CAMBRIDGE_TABLE["a2-key-schools"] = CAMBRIDGE_TABLE["a2-key"]
CAMBRIDGE_TABLE["b1-preliminary-schools"] = CAMBRIDGE_TABLE["b1-preliminary"]
CAMBRIDGE_TABLE["b2-first-schools"] = CAMBRIDGE_TABLE["b2-first"]

USE_OF_ENGLISH_EXAMS = {"b2-first", "b2-first-schools", "c1-advanced", "c2-proficiency"}


def expectations(code):
    """(overall score, grade, cefr, certificate) at and around every band boundary."""
    a, b, c, below, reported, (level_a, level_bc, level_below) = CAMBRIDGE_TABLE[code]
    rows = []
    for (low, high), grade, level in ((a, "A", level_a), (b, "B", level_bc),
                                      (c, "C", level_bc), (below, None, level_below)):
        rows += [(low, grade, level, True), (high, grade, level, True)]
    rows += [(below[0] - 1, None, None, False), (reported[0], None, None, False)]
    return rows


def uniform_scores(scheme, score):
    return dict.fromkeys(scheme["skills"], score)


def scheme_of(code):
    return next(e["scheme"] for e in reference_data.EXAMS if e["code"] == code)


@pytest.mark.parametrize("code", sorted(CAMBRIDGE_TABLE))
def test_every_band_boundary(code):
    scheme = scheme_of(code)
    for overall, grade, cefr, certificate in expectations(code):
        result = score_cambridge_scale(scheme, uniform_scores(scheme, overall))
        assert (result.overall, result.grade, result.cefr, result.certificate) == (
            overall, grade, cefr, certificate), (code, overall)


@pytest.mark.parametrize("code", sorted(CAMBRIDGE_TABLE))
def test_skills_of_each_exam(code):
    skills = scheme_of(code)["skills"]
    assert ("use_of_english" in skills) == (code in USE_OF_ENGLISH_EXAMS)
    assert {"reading", "writing", "listening", "speaking"} <= set(skills)


def test_worked_example_of_the_verification_guide():
    scores = {"reading": 191, "use_of_english": 196, "writing": 210, "listening": 191,
              "speaking": 193}
    result = score_cambridge_scale(scheme_of("c1-advanced"), scores)
    assert (result.overall, result.grade, result.cefr, result.outcome) == (196, "B", "C1",
                                                                          "grade_b")
    assert [s.cefr for s in result.skills] == ["C1", "C1", "C2", "C1", "C1"]


def test_overall_rounds_half_up():
    assert round_half_up_mean([179, 180]) == 180  # 179.5
    assert round_half_up_mean([179, 179, 180, 180]) == 180
    assert round_half_up_mean([179, 179, 179, 180]) == 179  # 179.25
    assert round_half_up_mean([179, 180, 180, 180]) == 180  # 179.75
    scheme = scheme_of("c1-advanced")
    # 179.6 rounds to 180: Grade C, not the band below.
    result = score_cambridge_scale(scheme, {"reading": 179, "use_of_english": 180,
                                            "writing": 180, "listening": 179, "speaking": 180})
    assert (result.overall, result.grade) == (180, "C")


def test_an_absent_skill_means_no_overall_score():
    scheme = scheme_of("b2-first")
    scores = uniform_scores(scheme, 185) | {"speaking": "absent"}
    result = score_cambridge_scale(scheme, scores)
    assert (result.overall, result.grade, result.cefr, result.certificate, result.outcome) == (
        None, None, None, False, "absent")
    assert next(s for s in result.skills if s.skill == "speaking").score is None


@pytest.mark.parametrize(
    ("scores", "code"),
    [
        ({"reading": 200}, "missing_skill"),
        ({"reading": 211, "use_of_english": 200, "writing": 200, "listening": 200,
          "speaking": 200}, "out_of_range"),
        ({"reading": 141, "use_of_english": 200, "writing": 200, "listening": 200,
          "speaking": 200}, "out_of_range"),
        ({"reading": "200", "use_of_english": 200, "writing": 200, "listening": 200,
          "speaking": 200}, "not_a_score"),
        ({"reading": 200, "use_of_english": 200, "writing": 200, "listening": 200,
          "speaking": 200, "maths": 200}, "unknown_skill"),
    ],
)
def test_scores_that_do_not_fit_are_refused(scores, code):
    with pytest.raises(ScoringError) as raised:
        score_cambridge_scale(scheme_of("c1-advanced"), scores)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("score", "level"),
    [(99, "BELOW_A1"), (100, "A1"), (119, "A1"), (120, "A2"), (139, "A2"), (140, "B1"),
     (159, "B1"), (160, "B2"), (179, "B2"), (180, "C1"), (199, "C1"), (200, "C2"), (230, "C2")],
)
def test_skill_score_to_cefr(score, level):
    assert scale_score_cefr(score) == level


@pytest.mark.parametrize(
    ("mark", "outcome"),
    [(100, "pass_distinction"), (80, "pass_distinction"), (79, "pass_merit"), (65, "pass_merit"),
     (64, "pass"), (50, "pass"), (49, "fail"), (0, "fail"), ("absent", "absent")],
)
def test_delta_module_one_result_words(mark, outcome):
    assert score_delta(scheme_of("delta-module-one"), {"written_exam": mark}).outcome == outcome


WRITTEN = reference_data.ADAPTIVE_WRITTEN_SKILLS
ORAL = reference_data.ORAL_CRITERIA


def levels(skills, values):
    return dict(zip(skills, values, strict=True))


def test_adaptive_policy_median_then_lower_of_written_and_oral():
    result = adaptive_result(
        reference_data.ADAPTIVE,
        levels(WRITTEN, ["B1", "C1", "B2", "A2", "B2"]),  # median B2
        levels(ORAL, ["B1", "B1", "B2", "C1", "A2"]),  # median B1
        target_level="B1",
    )
    assert (result.written_level, result.oral_level, result.final_level) == ("B2", "B1", "B1")
    assert result.certificate  # B1 reaches the B1 target exactly


def test_adaptive_certificate_below_target_and_always_at_c2():
    below = adaptive_result(reference_data.ADAPTIVE, levels(WRITTEN, ["B2"] * 5),
                            levels(ORAL, ["B1"] * 5), target_level="B2")
    assert (below.final_level, below.certificate) == ("B1", False)
    c2 = adaptive_result(reference_data.ADAPTIVE, levels(WRITTEN, ["C2"] * 5),
                         levels(ORAL, ["C2"] * 5), target_level="C1")
    assert (c2.final_level, c2.certificate) == ("C2", True)


def test_adaptive_refuses_a_missing_criterion():
    with pytest.raises(ScoringError):
        adaptive_result(reference_data.ADAPTIVE, levels(WRITTEN, ["B2"] * 5),
                        {"fluency": "B2"}, target_level="B2")


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(CAMBRIDGE_TABLE))
def test_catalogue_rows_score_like_the_table(code):
    """The schemes as loaded into the database (by the migration) give the same answers."""
    exam = Exam.objects.get(code=code)
    assert exam.kind == Exam.Kind.CAMBRIDGE_SCALE
    for overall, grade, cefr, certificate in expectations(code):
        result = score_cambridge_scale(exam.scoring_scheme,
                                       uniform_scores(exam.scoring_scheme, overall))
        assert (result.overall, result.grade, result.cefr, result.certificate) == (
            overall, grade, cefr, certificate)


@pytest.mark.django_db
def test_catalogue_holds_the_exams_of_the_guides():
    names = set(Exam.objects.values_list("name", flat=True))
    for name in ["A2 Key", "B1 Preliminary", "B2 First", "C1 Advanced", "C2 Proficiency",
                 "B1 Business Preliminary", "B2 Business Vantage", "C1 Business Higher",
                 "DELTA Module One", "A2 Key for Schools", "B1 Preliminary for Schools",
                 "B2 First for Schools"]:
        assert name in names
    photo = set(Exam.objects.filter(shows_test_day_photo=True).values_list("code", flat=True))
    assert {"b2-first", "c1-advanced", "c2-proficiency", "adaptive-en"} <= photo
    assert "a2-key" not in photo


def test_result_words_in_both_languages():
    from django.utils import translation

    from langcert.catalog.labels import outcome_label

    with translation.override("en"):
        assert outcome_label("grade_b") == "Pass at Grade B"
        assert outcome_label("level", "B2") == "Certificate at level B2"
    with translation.override("fr"):
        assert outcome_label("grade_b") != "Pass at Grade B"
        assert "B2" in outcome_label("level", "B2")
