"""Surveys' pure rules: what a survey asks, what an answer may say, results with small counts hidden, and
batches that keep no order."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.network.survey_rules import HIDDEN, InvalidAnswer, NewSurvey, check_answers, results, shuffled
from shared.network_events import Question

QUESTIONS = [
    Question(kind="single", text_fi="Kuka?", text_sv="Vem?", options_fi=("minä", "sinä"), options_sv=("jag", "du")),
    Question(kind="multiple", text_fi="Mitä?", text_sv="Vad?", options_fi=("a", "b", "c"), options_sv=("a", "b", "c")),
    Question(kind="scale", text_fi="Kuinka hyvä?", text_sv="Hur bra?"),
    Question(kind="number", text_fi="Montako?", text_sv="Hur många?"),
    Question(kind="text", text_fi="Muuta?", text_sv="Annat?"),
]


def test_answers_are_read_by_their_kind_and_may_be_skipped() -> None:
    assert check_answers(QUESTIONS, {"0": "1", "1": ["2", "0", "2"], "2": "5", "3": "3,5", "4": " kiitos "}) == {
        "0": 1, "1": [0, 2], "2": 5, "3": 3.5, "4": "kiitos"}
    assert check_answers(QUESTIONS, {}) == dict.fromkeys("01234")
    assert check_answers(QUESTIONS, {"1": "1", "3": "12"})["1"] == [1]


@pytest.mark.parametrize(("given", "index"), [({"0": "2"}, 0), ({"1": ["0", "7"]}, 1), ({"2": "6"}, 2),
                                               ({"2": "0"}, 2), ({"3": "paljon"}, 3), ({"4": "x" * 2001}, 4)])
def test_an_answer_a_question_does_not_take_is_named(given: dict[str, object], index: int) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        check_answers(QUESTIONS, given)
    assert caught.value.index == index


def test_a_choice_question_needs_its_choices_in_both_languages() -> None:
    base = {"title_fi": "K", "title_sv": "E", "anonymous": True, "due": "2026-12-24"}
    NewSurvey.model_validate({**base, "questions": [q.model_dump() for q in QUESTIONS]})
    for bad in ({"kind": "single", "text_fi": "a", "text_sv": "b", "options_fi": ["x"], "options_sv": ["x"]},
                {"kind": "single", "text_fi": "a", "text_sv": "b", "options_fi": ["x", "y"], "options_sv": ["x"]},
                {"kind": "text", "text_fi": "a", "text_sv": "b", "options_fi": ["x", "y"], "options_sv": ["x", "y"]}):
        with pytest.raises(ValidationError):
            NewSurvey.model_validate({**base, "questions": [bad]})
    with pytest.raises(ValidationError):
        NewSurvey.model_validate({**base, "questions": []})


def test_results_hide_small_counts_and_everything_until_five_answered() -> None:
    answers = [check_answers(QUESTIONS, {"0": "0", "1": ["0", "1"], "2": "4", "3": "2", "4": "hyvä"})] * 4
    few = results(QUESTIONS, answers, "fi")
    assert few[0]["rows"] == [("minä", HIDDEN), ("sinä", HIDDEN)] and few[3]["mean"] == HIDDEN and few[4]["texts"] == []
    answers = answers * 2 + [check_answers(QUESTIONS, {"0": "1", "2": "4", "3": "4", "4": "ok"})] * 4
    shown = results(QUESTIONS, answers, "sv")
    assert shown[0]["question"] == "Vem?"
    assert shown[0]["rows"] == [("jag", 8), ("du", HIDDEN)]  # four chose "du": under five, not shown
    assert shown[1]["rows"] == [("a", 8), ("b", 8), ("c", HIDDEN)]  # nobody chose "c": 0 reads as small too
    assert dict(shown[2]["rows"])["4"] == 12
    assert shown[3]["mean"] == round((8 * 2 + 4 * 4) / 12, 1)
    assert sorted(shown[4]["texts"]) == ["hyvä"] * 8 + ["ok"] * 4


def test_a_batch_is_shuffled_and_keeps_every_answer() -> None:
    batch = [{"0": i} for i in range(40)]
    orders = {tuple(a["0"] for a in shuffled(batch)) for _ in range(5)}
    assert len(orders) > 1
    assert all(sorted(order) == list(range(40)) for order in orders)
