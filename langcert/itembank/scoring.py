"""Scoring a candidate's answer to an item, and what the candidate is shown of an item.

Answers name what the candidate chose (option texts, words, sentences), never positions,
so shuffling the display cannot change a score. Pure functions, no database.
"""

import random
import unicodedata
from typing import Any

from langcert.itembank.content import score_steps


def normalise(text: Any) -> str:
    """Compare answers whatever the case, spacing, apostrophe or Unicode form."""
    text = unicodedata.normalize("NFC", str(text or ""))
    text = text.replace("’", "'").replace("‘", "'")
    return " ".join(text.split()).casefold()


def _score_gaps(gaps: dict[str, Any], answer: Any, accepted) -> int:
    if not isinstance(answer, dict):
        return 0
    return sum(
        1 for name, gap in gaps.items()
        if normalise(answer.get(name)) in {normalise(a) for a in accepted(gap)}
    )


def _score_choice(content: dict[str, Any], answer: Any) -> int:
    right = content["options"][content["answer"]]
    return int(answer is not None and normalise(answer) == normalise(right))


def _score_sequence(expected: list[str], answer: Any, partial: bool) -> int:
    if not isinstance(answer, list):
        return 0
    given = [normalise(part) for part in answer]
    wanted = [normalise(part) for part in expected]
    if partial:
        return sum(1 for g, w in zip(given, wanted, strict=False) if g == w)
    return int(given == wanted)


def score_answer(item_type: str, content: dict[str, Any], answer: Any) -> int:
    """Points earned (0 .. max_points) for `answer`; None (no answer) earns 0."""
    if answer is None:
        return 0
    if item_type == "gap_select":
        return _score_gaps(content["gaps"], answer, lambda gap: [gap["answer"]])
    if item_type == "gap_text":
        return _score_gaps(content["gaps"], answer, lambda gap: gap["answers"])
    if item_type == "word_bank":
        gaps = {name: word for name, word in content["answers"].items()}
        return _score_gaps(gaps, answer, lambda word: [word])
    if item_type == "word_order":
        return _score_sequence(content["words"], answer, partial=False)
    if item_type == "sentence_order":
        return _score_sequence(content["sentences"], answer, partial=True)
    if item_type == "multiple_choice":
        return _score_choice(content, answer)
    if item_type == "listening":
        question = content["question"]
        return score_answer(question["type"], question, answer)
    raise ValueError(f"unknown item type {item_type}")


def max_points(item_type: str, content: dict[str, Any]) -> int:
    if item_type == "listening":
        question = content["question"]
        return score_steps(question["type"], question)
    if item_type == "word_order":
        return 1
    return score_steps(item_type, content)


def presentation(item_type: str, content: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """What the player shows: the content without keys, lists shuffled by `rng`."""
    if item_type == "gap_select":
        return {"instruction": content["instruction"], "text": content["text"],
                "gaps": {name: {"options": rng.sample(gap["options"], len(gap["options"]))}
                         for name, gap in content["gaps"].items()}}
    if item_type == "gap_text":
        return {"instruction": content["instruction"], "text": content["text"],
                "gaps": {name: {"root": gap.get("root")} for name, gap in content["gaps"].items()}}
    if item_type == "word_bank":
        return {"instruction": content["instruction"], "text": content["text"],
                "bank": rng.sample(content["bank"], len(content["bank"]))}
    if item_type == "word_order":
        return {"instruction": content["instruction"], "first": content["first"],
                "words": _shuffled(content["words"], rng)}
    if item_type == "sentence_order":
        return {"instruction": content["instruction"], "first": content["first"],
                "sentences": _shuffled(content["sentences"], rng)}
    if item_type == "multiple_choice":
        shown = {key: content[key] for key in ("instruction", "passage", "question")
                 if content.get(key)}
        return shown | {"options": rng.sample(content["options"], len(content["options"]))}
    if item_type == "listening":
        question = content["question"]
        return {"instruction": content["instruction"], "max_plays": content["max_plays"],
                "question": {"type": question["type"]}
                | presentation(question["type"], question | {"instruction": ""}, rng)}
    raise ValueError(f"unknown item type {item_type}")


def _shuffled(parts: list[str], rng: random.Random) -> list[str]:
    """A shuffle that is never the right order (when the parts allow another order)."""
    if len(set(parts)) < 2:
        return list(parts)
    while True:
        shuffled = rng.sample(parts, len(parts))
        if shuffled != parts:
            return shuffled
