import random

import pytest

from langcert.itembank.content import validate_item
from langcert.itembank.scoring import max_points, presentation, score_answer
from tests.itembank.samples import SAMPLES, sample


@pytest.mark.parametrize("item_type", sorted(SAMPLES))
def test_each_sample_is_valid(item_type):
    record, problems = validate_item(sample(item_type))
    assert problems == [] and record is not None


@pytest.mark.parametrize(
    ("item_type", "change", "words"),
    [
        ("gap_select", {"gaps": {"1": {"options": ["go", "went"], "answer": "goes"}}},
         "not one of the options"),
        ("gap_select", {"text": "She {{2}} to work."}, "do not match"),
        ("word_bank", {"answers": {"1": "lost", "2": "maybe"}}, "not in the bank"),
        ("multiple_choice", {"answer": 3}, "not the index"),
        ("multiple_choice", {"options": ["a", "a", "b"]}, "options repeat"),
        ("listening", {"audio": "../../etc/passwd"}, "audio"),
        ("word_order", {"words": ["alone"]}, "words"),
    ],
)
def test_content_mistakes_are_named(item_type, change, words):
    item = sample(item_type)
    item["content"] = item["content"] | change
    record, problems = validate_item(item)
    assert record is None and any(words in p for p in problems), problems


def test_item_level_mistakes_are_named():
    _, problems = validate_item(sample("gap_select", irt={"model": "2pl", "a": 1, "b": 1.9}))
    assert any("far from level A1" in p for p in problems)
    _, problems = validate_item(sample("gap_text", irt={"model": "gpcm", "a": 1, "b": [0.3]}))
    assert any("2 thresholds expected" in p for p in problems)
    _, problems = validate_item(sample("gap_select", code="EN-VOC-0901"))
    assert any("does not name the skill" in p for p in problems)
    _, problems = validate_item(sample("gap_select", type="crossword"))
    assert any(p.startswith("type") for p in problems)


@pytest.mark.parametrize(
    ("item_type", "answer", "points"),
    [
        ("gap_select", {"1": "goes"}, 1),
        ("gap_select", {"1": "go"}, 0),
        ("gap_select", {}, 0),
        ("gap_text", {"1": "  Breathtaking ", "2": "welcoming"}, 2),
        ("gap_text", {"1": "breath-taking", "2": "friendly"}, 1),
        ("word_bank", {"1": "lost", "2": "couldn't"}, 2),  # straight apostrophe accepted
        ("word_bank", {"1": "found", "2": "couldn’t"}, 1),
        ("word_order", ["did", "you", "go", "?"], 1),
        ("word_order", ["you", "did", "go", "?"], 0),
        ("sentence_order", ["Thank you for your email.", "The room is booked.",
                            "Best regards,"], 3),
        ("sentence_order", ["The room is booked.", "Thank you for your email.",
                            "Best regards,"], 1),
        ("multiple_choice", "Saturday", 1),
        ("multiple_choice", "Sunday", 0),
        ("listening", {"1": "9:15"}, 1),
        ("listening", {"1": "10:15"}, 0),
        ("multiple_choice", None, 0),
        ("word_order", "not a list", 0),
    ],
)
def test_scoring_each_type(item_type, answer, points):
    content = SAMPLES[item_type]["content"]
    assert score_answer(item_type, content, answer) == points
    assert 0 <= points <= max_points(item_type, content)


def test_presentation_hides_keys_and_shuffles_but_keeps_everything_needed():
    rng = random.Random(1)
    for item_type, item in SAMPLES.items():
        shown = presentation(item_type, item["content"], rng)
        text = repr(shown)
        assert "'answer'" not in text and "'answers'" not in text and "transcript" not in text
    order = presentation("word_order", SAMPLES["word_order"]["content"], rng)
    assert sorted(order["words"]) == sorted(SAMPLES["word_order"]["content"]["words"])
    assert order["words"] != SAMPLES["word_order"]["content"]["words"]
    gap = presentation("gap_text", SAMPLES["gap_text"]["content"], rng)
    assert gap["gaps"]["1"]["root"] == "BREATH"
