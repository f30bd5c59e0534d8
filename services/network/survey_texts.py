"""A survey's free-text answers, sealed with the survey's own key (shared/survey_keys.py) wherever they are kept: in
the waiting answers, the results the coordinator reads, the anonymous batches and the named answers on the network
topic. When the
region's retention for them ends (``survey_text_days`` after the due date), the key goes: deleted here and
tombstoned on the network key topic, so no copy, in Kafka, in this database or in a backup, opens again. The
choices, scores and numbers are never sealed: the counts stay."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import orjson
import structlog

from services.network.settings import NetworkSettings
from shared.db import Conn
from shared.network_events import SURVEY_ANSWER_TEXTS, SURVEY_TEXTS, AnswerValue, Question
from shared.network_keys import network_keyring
from shared.outbox import enqueue
from shared.sealing import Keyring, Sealed, new_data_key
from shared.survey_keys import (
    SurveyKey,
    record_key,
    seal_for_survey,
    unseal_for_survey,
    unwrap_survey_key,
    wrap_survey_key,
)
from shared.topics import network_keys_topic

log = structlog.get_logger(__name__)
# Where an answer's sealed texts are kept in the network's own tables (bound there: they open nowhere else).
ROW_TEXTS = "survey_answers/texts"

Texts = dict[str, str]


async def new_key(conn: Conn, *, settings: NetworkSettings, survey_id: uuid.UUID, region: str) -> None:
    """The survey's key: kept wrapped here and put on the network key topic before anything sealed with it."""
    key = wrap_survey_key(network_keyring(settings.keyring), survey_id, region, new_data_key())
    await conn.execute("INSERT INTO wrapped_survey_keys (survey_id, region, kek_id, nonce, wrapped)"
                       " VALUES ($1, $2, $3, $4, $5)", survey_id, region, key.kek_id, key.nonce, key.wrapped)
    await enqueue(conn, network_keys_topic(settings.topic_prefix, region), record_key(survey_id),
                  key.model_dump_json().encode())


async def ensure_key(conn: Conn, *, settings: NetworkSettings, survey_id: uuid.UUID, region: str) -> bytes | None:
    """The survey's key; one made now for a survey published before texts were sealed; None past its retention."""
    key = await key_of(conn, survey_id, settings.keyring)
    if key is None and not await conn.fetchval("SELECT texts_erased_at IS NOT NULL FROM surveys WHERE survey_id = $1",
                                               survey_id):
        await new_key(conn, settings=settings, survey_id=survey_id, region=region)
        key = await key_of(conn, survey_id, settings.keyring)
    return key


async def key_of(conn: Conn, survey_id: uuid.UUID, keyring: Keyring) -> bytes | None:
    """The survey's data key; None once the texts' retention ended (or for a survey from before texts were
    sealed, until ensure_key makes it one)."""
    row = await conn.fetchrow("SELECT survey_id, region, kek_id, nonce, wrapped FROM wrapped_survey_keys"
                              " WHERE survey_id = $1", survey_id)
    return unwrap_survey_key(network_keyring(keyring), SurveyKey(**dict(row))) if row is not None else None


async def questions_of(conn: Conn, survey_id: uuid.UUID) -> list[Question]:
    raw = await conn.fetchval("SELECT questions FROM surveys WHERE survey_id = $1", survey_id)
    return [Question.model_validate(q) for q in orjson.loads(raw)] if raw is not None else []


def split(questions: list[Question], answers: dict[str, AnswerValue]) -> tuple[dict[str, AnswerValue], Texts]:
    """An answer without its free texts (null in their place), and the texts by question."""
    texts: Texts = {}
    kept: dict[str, AnswerValue] = {}
    for position, value in answers.items():
        index = int(position)
        if index < len(questions) and questions[index].kind == "text" and isinstance(value, str):
            texts[position] = value
            kept[position] = None
        else:
            kept[position] = value
    return kept, texts


def seal_row(key: bytes, survey_id: uuid.UUID, texts: Texts) -> str | None:
    """An answer's texts as its row keeps them (JSON of the sealed value), or None without any."""
    return seal_for_survey(key, survey_id, texts, ROW_TEXTS).model_dump_json() if texts else None


def open_row(key: bytes | None, survey_id: uuid.UUID, raw: str | None) -> Texts:
    """An answer's texts from its row; none once the key is erased."""
    if key is None or raw is None:
        return {}
    value = unseal_for_survey(key, survey_id, Sealed.model_validate_json(raw), ROW_TEXTS)
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def seal_batch(key: bytes, survey_id: uuid.UUID, texts: list[Texts]) -> Sealed | None:
    """A batch's texts for its event, {position in the batch: {question: text}}; None when nobody wrote any."""
    found = {str(i): t for i, t in enumerate(texts) if t}
    return seal_for_survey(key, survey_id, found, SURVEY_TEXTS) if found else None


def seal_answer(key: bytes, survey_id: uuid.UUID, texts: Texts) -> Sealed | None:
    """A named answer's texts for its event, {question: text}; None without any."""
    return seal_for_survey(key, survey_id, texts, SURVEY_ANSWER_TEXTS) if texts else None


def with_texts(answers: dict[str, Any], texts: Texts) -> dict[str, Any]:
    return {**answers, **texts}


async def erase_past_retention(conn: Conn, *, settings: NetworkSettings, regions: list[str], today: date) -> int:
    """Erase the texts of each survey whose retention ended by ``today`` (Helsinki): the key here and on
    the topic (a tombstone), and the sealed copies in this database; how many surveys."""
    erased = 0
    for region in regions:
        last_due = today - timedelta(days=settings.survey_text_days_for(region))
        rows = await conn.fetch(
            "SELECT survey_id FROM surveys WHERE region = $1 AND texts_erased_at IS NULL AND due < $2"
            " FOR UPDATE", region, last_due)
        for row in rows:
            survey_id = row["survey_id"]
            await conn.execute("DELETE FROM wrapped_survey_keys WHERE survey_id = $1", survey_id)
            questions = await questions_of(conn, survey_id)
            for table in ("survey_results", "pending_answers"):
                # An answer kept before texts were sealed has them in place: emptied too.
                for answer in await conn.fetch(f"SELECT answer_id, answers FROM {table} WHERE survey_id = $1",  # noqa: S608
                                               survey_id):
                    kept, _ = split(questions, orjson.loads(answer["answers"]))
                    await conn.execute(f"UPDATE {table} SET answers = $2::jsonb, texts_sealed = NULL"  # noqa: S608
                                       " WHERE answer_id = $1", answer["answer_id"], orjson.dumps(kept).decode())
            await conn.execute("UPDATE surveys SET texts_erased_at = now() WHERE survey_id = $1", survey_id)
            await enqueue(conn, network_keys_topic(settings.topic_prefix, region), record_key(survey_id), None)
            erased += 1
            log.info("network.survey_texts_erased", region=region, survey_id=str(survey_id))
    return erased
