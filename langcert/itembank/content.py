"""The content of each item type, validated with pydantic (docs/itembank-format.md).

One model per type; `validate_item` checks a whole item (type, level, IRT parameters,
content) and returns every problem it finds, so an import can list them all at once.
"""

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SKILLS = ("vocabulary", "grammar", "expressions", "reading", "listening")
SKILL_CODES = {"vocabulary": "VOC", "grammar": "GRA", "expressions": "EXP", "reading": "REA",
               "listening": "LIS"}
TYPES = ("gap_select", "gap_text", "word_bank", "word_order", "sentence_order",
         "multiple_choice", "listening")
LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
STATUSES = ("draft", "pretest", "live", "practice", "retired")
# Difficulty bands on the theta scale, from the CEFR cut scores -1.6, -0.8, 0, 0.8, 1.6.
LEVEL_BANDS = {"A1": (-2.6, -1.6), "A2": (-1.6, -0.8), "B1": (-0.8, 0.0), "B2": (0.0, 0.8),
               "C1": (0.8, 1.6), "C2": (1.6, 2.6)}
GAP = re.compile(r"\{\{(\d+)\}\}")
CODE = re.compile(r"^[A-Z]{2}-(VOC|GRA|EXP|REA|LIS)-\d{4}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def gap_names(text: str) -> list[str]:
    return GAP.findall(text)


def _check_gaps(text: str, names: set[str]) -> None:
    in_text = gap_names(text)
    if len(in_text) != len(set(in_text)):
        raise ValueError("a gap appears twice in the text")
    if set(in_text) != names:
        raise ValueError(f"gaps in the text {sorted(in_text)} do not match {sorted(names)}")


class SelectGap(Strict):
    options: list[str] = Field(min_length=2, max_length=6)
    answer: str

    @model_validator(mode="after")
    def answer_is_an_option(self):
        if self.answer not in self.options:
            raise ValueError(f"answer “{self.answer}” is not one of the options")
        if len(set(self.options)) != len(self.options):
            raise ValueError("options repeat")
        return self


class TextGap(Strict):
    answers: list[str] = Field(min_length=1)
    root: str | None = None


class GappedText(Strict):
    """A text with {{n}} gaps, each described in `gaps` (declared by the subclass)."""

    text: str

    @model_validator(mode="after")
    def gaps_match(self):
        _check_gaps(self.text, set(self.gaps))
        return self


class GapSelect(GappedText):
    instruction: str
    gaps: dict[str, SelectGap] = Field(min_length=1)


class GapText(GappedText):
    instruction: str
    gaps: dict[str, TextGap] = Field(min_length=1)


class WordBank(Strict):
    instruction: str
    text: str
    bank: list[str] = Field(min_length=2)
    answers: dict[str, str] = Field(min_length=1)

    @model_validator(mode="after")
    def answers_in_bank(self):
        _check_gaps(self.text, set(self.answers))
        missing = [word for word in self.answers.values() if word not in self.bank]
        if missing:
            raise ValueError(f"answer “{missing[0]}” is not in the bank")
        if len(self.bank) < len(self.answers):
            raise ValueError("the bank has fewer words than gaps")
        return self


class WordOrder(Strict):
    instruction: str
    first: str
    words: list[str] = Field(min_length=2, max_length=15)


class SentenceOrder(Strict):
    instruction: str
    first: str
    sentences: list[str] = Field(min_length=2, max_length=6)


class MultipleChoice(Strict):
    instruction: str | None = None
    passage: str | None = None
    question: str
    options: list[str] = Field(min_length=2, max_length=5)
    answer: int

    @model_validator(mode="after")
    def answer_in_range(self):
        if not 0 <= self.answer < len(self.options):
            raise ValueError("answer is not the index of an option")
        if len(set(self.options)) != len(self.options):
            raise ValueError("options repeat")
        return self


class ListeningChoice(MultipleChoice):
    type: Literal["multiple_choice"]


class ListeningGap(GappedText):
    type: Literal["gap_text"]
    gaps: dict[str, TextGap] = Field(min_length=1)


class Listening(Strict):
    instruction: str
    audio: str = Field(pattern=r"^audio/[A-Za-z0-9._-]+\.(ogg|opus|mp3|wav)$")
    transcript: str
    voices: list[str] = Field(default_factory=list)
    max_plays: int = Field(default=2, ge=1, le=2)
    question: Annotated[ListeningChoice | ListeningGap, Field(discriminator="type")]


CONTENT_MODELS: dict[str, type[Strict]] = {
    "gap_select": GapSelect, "gap_text": GapText, "word_bank": WordBank,
    "word_order": WordOrder, "sentence_order": SentenceOrder,
    "multiple_choice": MultipleChoice, "listening": Listening,
}


def score_steps(item_type: str, content: dict[str, Any]) -> int:
    """How many points the item is worth (1 for right/wrong items)."""
    if item_type in ("gap_select", "gap_text"):
        return len(content["gaps"])
    if item_type == "word_bank":
        return len(content["answers"])
    if item_type == "sentence_order":
        return len(content["sentences"])
    return 1


class Irt(Strict):
    model: Literal["2pl", "3pl", "gpcm"]
    a: float = Field(ge=0.2, le=4.0)
    b: float | list[float]
    c: float = Field(default=0.0, ge=0.0, lt=0.5)

    @model_validator(mode="after")
    def shape(self):
        if self.model == "gpcm":
            if not isinstance(self.b, list) or not self.b:
                raise ValueError("a gpcm item needs a list of thresholds in b")
        elif isinstance(self.b, list):
            raise ValueError(f"a {self.model} item has one difficulty b")
        return self

    @property
    def difficulty(self) -> float:
        return sum(self.b) / len(self.b) if isinstance(self.b, list) else self.b


class ItemRecord(Strict):
    code: str = Field(pattern=CODE.pattern)
    skill: Literal[SKILLS]  # type: ignore[valid-type]
    type: Literal[TYPES]  # type: ignore[valid-type]
    level: Literal[LEVELS]  # type: ignore[valid-type]
    time_limit: int = Field(ge=10, le=300)
    status: Literal[STATUSES] = "draft"  # type: ignore[valid-type]
    irt: Irt
    enemies: list[str] = Field(default_factory=list)
    content: dict[str, Any]


def _messages(error: ValidationError, prefix: str = "") -> list[str]:
    out = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        out.append(f"{prefix}{where}: {message}" if where else f"{prefix}{message}")
    return out


def validate_item(data: dict[str, Any]) -> tuple[ItemRecord | None, list[str]]:
    """Check one item; return it with no problems, or None with every problem found."""
    try:
        record = ItemRecord.model_validate(data)
    except ValidationError as error:
        return None, _messages(error)
    problems: list[str] = []
    try:
        content = CONTENT_MODELS[record.type].model_validate(record.content)
        record.content = content.model_dump(exclude_none=True)
    except ValidationError as error:
        problems += _messages(error, "content.")
    if SKILL_CODES[record.skill] != record.code.split("-")[1]:
        problems.append(f"code: {record.code} does not name the skill {record.skill}")
    if (record.type == "listening") != (record.skill == "listening"):
        problems.append("type: listening items and the listening skill go together")
    low, high = LEVEL_BANDS[record.level]
    if not low - 0.4 <= record.irt.difficulty <= high + 0.4:
        problems.append(
            f"irt.b: difficulty {record.irt.difficulty:.2f} is far from level {record.level}"
        )
    if not problems and record.irt.model == "gpcm":
        steps = score_steps(record.type, record.content)
        if len(record.irt.b) != steps:  # type: ignore[arg-type]
            problems.append(f"irt.b: {steps} thresholds expected, one per point")
    return (None, problems) if problems else (record, [])
