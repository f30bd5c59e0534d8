"""Surveys' pure rules: what a survey may ask, what an answer may say, and how results are shown without
disclosing small counts (reporting's rule, services/reporting/privacy.py: a count under 5, 0 included, shows as
"x", and nothing shows until five have answered). Reporting's perturbation of larger counts is not applied: a
survey's cells are fixed by its questions and asked once, not combined at will."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.network_events import AnswerValue, Question, Segment

# Results show only once this many have answered, and a choice's count only when at least this many chose it.
MIN_ANSWERS = 5
MIN_CELL = 5
# Anonymous answers leave for the stream in shuffled batches of at least this many.
BATCH = 5
HIDDEN = "x"
T = TypeVar("T")


class NewSurvey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title_fi: str = Field(min_length=1, max_length=120)
    title_sv: str = Field(min_length=1, max_length=120)
    anonymous: bool
    due: date
    questions: list[Question] = Field(min_length=1, max_length=20)
    segment: Segment = Field(default_factory=Segment)

    @model_validator(mode="after")
    def _choices_where_chosen(self) -> NewSurvey:
        for q in self.questions:
            chooses = q.kind in ("single", "multiple")
            if chooses and not (2 <= len(q.options_fi) == len(q.options_sv) <= 12):
                raise ValueError("a choice question needs 2 to 12 choices, as many in Finnish as in Swedish")
            if not chooses and (q.options_fi or q.options_sv):
                raise ValueError("only a choice question has choices")
        return self


class InvalidAnswer(ValueError):
    """An answer a question does not take; ``index`` names the question."""

    def __init__(self, index: int) -> None:
        super().__init__(f"question {index + 1}")
        self.index = index


def check_answers(questions: Sequence[Question], given: dict[str, Any]) -> dict[str, AnswerValue]:
    """The answers in their stored form; an unanswered question is None (every question may be skipped)."""
    found: dict[str, AnswerValue] = {}
    for i, q in enumerate(questions):
        raw = given.get(str(i))
        if raw in (None, "", []):
            found[str(i)] = None
            continue
        try:
            found[str(i)] = _one(q, raw)
        except (TypeError, ValueError):
            raise InvalidAnswer(i) from None
    return found


def _one(q: Question, raw: Any) -> AnswerValue:
    if q.kind == "single":
        choice = int(raw)
        if not 0 <= choice < len(q.options_fi):
            raise ValueError
        return choice
    if q.kind == "multiple":
        choices = sorted({int(v) for v in (raw if isinstance(raw, list) else [raw])})
        if not all(0 <= c < len(q.options_fi) for c in choices):
            raise ValueError
        return choices
    if q.kind == "scale":
        score = int(raw)
        if not 1 <= score <= 5:
            raise ValueError
        return score
    if q.kind == "number":
        number = float(str(raw).replace(",", "."))
        if not -1e9 < number < 1e9:
            raise ValueError
        return int(number) if number.is_integer() else number
    text = str(raw).strip()
    if len(text) > 2000:
        raise ValueError
    return text or None


def shuffled(answers: list[T]) -> list[T]:
    """The batch in an order nothing can predict, so it says nothing of who answered first."""
    batch = list(answers)
    random.SystemRandom().shuffle(batch)
    return batch


def _shown(count: int, total: int) -> int | str:
    return count if total >= MIN_ANSWERS and count >= MIN_CELL else HIDDEN


def results(questions: Sequence[Question], answers: Sequence[dict[str, AnswerValue]],
            lang: str) -> list[dict[str, Any]]:
    """Per question: counts per choice or score (small ones hidden), a number's count and mean, and the texts
    (for the coordinators' eyes only, never counted)."""
    total = len(answers)
    found = []
    for i, q in enumerate(questions):
        values = [a.get(str(i)) for a in answers if a.get(str(i)) is not None]
        item: dict[str, Any] = {"question": q.text_sv if lang == "sv" else q.text_fi, "kind": q.kind,
                                "answered": _shown(len(values), total), "rows": [], "texts": []}
        if q.kind in ("single", "multiple", "scale"):
            labels = (q.options_sv if lang == "sv" else q.options_fi) if q.kind != "scale" else tuple(
                str(n) for n in range(1, 6))
            for j, label in enumerate(labels):
                key = j if q.kind != "scale" else j + 1
                count = sum(1 for v in values if v == key or (isinstance(v, list) and key in v))
                item["rows"].append((label, _shown(count, total)))
        elif q.kind == "number":
            numbers = [float(v) for v in values if isinstance(v, int | float)]
            shown = total >= MIN_ANSWERS and len(numbers) >= MIN_CELL
            item["mean"] = round(sum(numbers) / len(numbers), 1) if shown and numbers else HIDDEN
        else:
            item["texts"] = [str(v) for v in values] if total >= MIN_ANSWERS else []
        found.append(item)
    return found
