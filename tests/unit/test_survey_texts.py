"""An anonymous survey's free texts: sealed with the survey's own key (bound to the survey and its place), split from
the counted answers, and a stored v1 batch (texts unsealed in the answers) still read, as v2 with nothing sealed."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from services.network import survey_texts
from shared.network_events import (
    SURVEY_ANSWER_TEXTS,
    SURVEY_TEXTS,
    Question,
    SurveyAnswered,
    SurveyAnswersPublished,
    decode_network,
)
from shared.network_keys import AgentKey, network_keyring, unwrap_agent_key
from shared.sealing import Keyring, KeyUnavailable, new_data_key
from shared.survey_keys import (
    record_key,
    seal_for_survey,
    unseal_for_survey,
    unwrap_survey_key,
    wrap_survey_key,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "events"
KEYRING = Keyring(current="k1", keks={"k1": os.urandom(32)})
QUESTIONS = [Question(kind="single", text_fi="a", text_sv="b", options_fi=("x", "y"), options_sv=("x", "y")),
             Question(kind="text", text_fi="Muuta?", text_sv="Annat?"),
             Question(kind="scale", text_fi="c", text_sv="d")]


def test_a_stored_v1_batch_reads_as_v2_with_its_answers_as_they_were() -> None:
    raw = (FIXTURES / "survey_answers_published_v1.json").read_bytes()
    assert json.loads(raw)["schema_version"] == 1
    event = decode_network(raw)
    assert isinstance(event, SurveyAnswersPublished)
    assert event.schema_version == 2 and event.payload.texts is None
    assert [a["1"] for a in event.payload.answers] == ["nappi on hyvä", None, "liian pieni", None, None]
    assert event.subject_id == uuid.UUID(json.loads(raw)["subject_id"])


def test_a_stored_v1_named_answer_reads_as_v2_with_its_answers_as_they_were() -> None:
    raw = (FIXTURES / "survey_answered_v1.json").read_bytes()
    assert json.loads(raw)["schema_version"] == 1
    event = decode_network(raw)
    assert isinstance(event, SurveyAnswered)
    assert event.schema_version == 2 and event.payload.texts is None
    assert event.payload.answers == {"0": 1, "1": "nappi on hyvä"}
    assert event.payload.agent_id == uuid.UUID("1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9")


def test_the_texts_are_split_from_what_is_counted() -> None:
    kept, texts = survey_texts.split(QUESTIONS, {"0": 1, "1": "Matti Meikäläinen sanoi näin", "2": 4})
    assert kept == {"0": 1, "1": None, "2": 4}
    assert texts == {"1": "Matti Meikäläinen sanoi näin"}
    assert survey_texts.split(QUESTIONS, {"0": 0, "1": None, "2": None}) == ({"0": 0, "1": None, "2": None}, {})


def test_sealed_texts_open_only_for_their_survey_and_place_with_its_key() -> None:
    survey_id, other = uuid.uuid4(), uuid.uuid4()
    network = network_keyring(KEYRING)
    wrapped = wrap_survey_key(network, survey_id, "varsinais-suomi", new_data_key())
    key = unwrap_survey_key(network, wrapped)
    sealed = survey_texts.seal_batch(key, survey_id, [{"1": "nimi"}, {}, {"1": "toinen"}])
    assert sealed is not None and "nimi" not in sealed.model_dump_json()
    assert unseal_for_survey(key, survey_id, sealed, SURVEY_TEXTS) == {"0": {"1": "nimi"}, "2": {"1": "toinen"}}
    with pytest.raises(KeyUnavailable):  # moved to another survey's event
        unseal_for_survey(key, other, sealed, SURVEY_TEXTS)
    with pytest.raises(KeyUnavailable):  # moved from the stream into the rows, or back
        survey_texts.open_row(key, survey_id, sealed.model_dump_json())
    with pytest.raises(KeyUnavailable):  # another key
        unseal_for_survey(new_data_key(), survey_id, sealed, SURVEY_TEXTS)
    assert survey_texts.seal_batch(key, survey_id, [{}, {}]) is None  # nobody wrote: nothing sealed
    row = survey_texts.seal_row(key, survey_id, {"1": "nimi"})
    assert survey_texts.open_row(key, survey_id, row) == {"1": "nimi"}
    assert survey_texts.open_row(None, survey_id, row) == {}  # the key erased: nothing opens
    assert seal_for_survey(key, survey_id, "x", "p").v == 2
    named = survey_texts.seal_answer(key, survey_id, {"1": "nimi"})
    assert named is not None and unseal_for_survey(key, survey_id, named, SURVEY_ANSWER_TEXTS) == {"1": "nimi"}
    with pytest.raises(KeyUnavailable):  # a named answer's texts are not a batch's
        unseal_for_survey(key, survey_id, named, SURVEY_TEXTS)


def test_a_survey_key_is_not_an_agent_key_nor_another_surveys() -> None:
    survey_id = uuid.uuid4()
    network = network_keyring(KEYRING)
    wrapped = wrap_survey_key(network, survey_id, "varsinais-suomi", new_data_key())
    as_agent = AgentKey(agent_id=survey_id, region="varsinais-suomi", kek_id=wrapped.kek_id, nonce=wrapped.nonce,
                        wrapped=wrapped.wrapped)
    with pytest.raises(KeyUnavailable):
        unwrap_agent_key(network, as_agent)
    with pytest.raises(KeyUnavailable):
        unwrap_survey_key(network, wrapped.model_copy(update={"survey_id": uuid.uuid4()}))
    with pytest.raises(KeyUnavailable):  # the case keyring is not the network's
        unwrap_survey_key(KEYRING, wrapped)
    assert record_key(survey_id) == f"survey:{survey_id}".encode()
