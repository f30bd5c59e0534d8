"""Surveys: published to a segment, anonymous or named (decided then and shown to each respondent); one answer per
agent by a link of their own; one reminder to those who have not answered; results with small counts hidden.

An anonymous answer is stored without the agent and without a time, and leaves for the stream only in a shuffled
batch of at least ``BATCH`` whose only time is the day: neither order nor time links it to an invitation. Whether
an agent answered is a flag on their invitation, in the network's own table only (no time there either)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import urlencode

import orjson
import structlog

from services.network import agent_store, store, survey_texts
from services.network.domain import new_token, token_digest
from services.network.settings import NetworkSettings
from services.network.survey_rules import BATCH, NewSurvey, check_answers, shuffled
from services.network.tasks import RECEIVING, in_segment
from shared.app import UnitOfWork
from shared.db import Conn
from shared.errors import Conflict, NotFound
from shared.network_events import (
    MAIL_CONTENT,
    MailKind,
    MailRequested,
    MailRequestedPayload,
    Question,
    SurveyAnswered,
    SurveyAnsweredPayload,
    SurveyAnswersPublished,
    SurveyAnswersPublishedPayload,
    SurveyPublished,
    SurveyPublishedPayload,
    new_network_event,
)
from shared.network_keys import seal_for_agent, unseal_for_agent
from shared.sealing import Keyring, Sealed
from shared.topics import network_topic

log = structlog.get_logger(__name__)
LINK_PLACE = "survey_invitations/link"


@dataclass(frozen=True)
class Invitation:
    survey_id: uuid.UUID
    agent_id: uuid.UUID
    region: str
    title: str
    anonymous: bool
    questions: list[Question]
    answered: bool
    swedish: bool


def survey_link(settings: NetworkSettings, token: str, lang: str) -> str:
    return f"{settings.network_url.rstrip('/')}/s/{token}?{urlencode({'lang': lang})}"


def _mail(agent_id: uuid.UUID, region: str, lang: str, key: bytes, email: str, link: str, kind: MailKind,
          cause: Any) -> MailRequested:
    return new_network_event(
        MailRequested, kind="agent", subject_id=agent_id, region=region, actor="network",
        correlation_id=cause, payload=MailRequestedPayload(
            mail_id=uuid.uuid4(), kind=kind, language=lang,
            content=seal_for_agent(key, agent_id, {"to": email, "link": link}, MAIL_CONTENT)))


async def publish(*, uow: UnitOfWork, settings: NetworkSettings, region: str, by: str,
                  survey: NewSurvey) -> uuid.UUID:
    survey_id = uuid.uuid4()
    async with uow.transaction() as conn:
        when = await store.moment(conn, None)
        agents = [r for r in await conn.fetch(
            "SELECT agent_id, municipality, sector, themes, languages, language FROM agents WHERE region = $1"
            " AND status = ANY($2::text[]) FOR SHARE", region, list(RECEIVING)) if in_segment(r, survey.segment)]
        await conn.execute(
            "INSERT INTO surveys (survey_id, region, title_fi, title_sv, anonymous, due, questions, segment,"
            " published_at, published_by) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10)",
            survey_id, region, survey.title_fi, survey.title_sv, survey.anonymous, survey.due,
            orjson.dumps([q.model_dump() for q in survey.questions]).decode(), survey.segment.model_dump_json(),
            when, by)
        invited = []
        for agent in agents:
            key = await agent_store.data_key(conn, agent["agent_id"], settings.keyring)
            email = await store.agent_email(conn, agent["agent_id"], key)
            if key is None or email is None:
                continue
            token = new_token()
            link = survey_link(settings, token, agent["language"])
            await conn.execute(
                "INSERT INTO survey_invitations (survey_id, agent_id, link_digest, link_sealed)"
                " VALUES ($1, $2, $3, $4::jsonb)", survey_id, agent["agent_id"], token_digest(token),
                seal_for_agent(key, agent["agent_id"], link, LINK_PLACE).model_dump_json())
            invited.append((agent, key, email, link))
        await survey_texts.new_key(conn, settings=settings, survey_id=survey_id, region=region)
        published = new_network_event(
            SurveyPublished, kind="survey", subject_id=survey_id, region=region, actor=by, occurred_at=when,
            payload=SurveyPublishedPayload(title_fi=survey.title_fi, title_sv=survey.title_sv,
                                           anonymous=survey.anonymous, due=survey.due,
                                           questions=tuple(survey.questions), segment=survey.segment,
                                           recipients=len(invited)))
        mails = [_mail(a["agent_id"], region, a["language"], key, email, link, "network_survey",
                       published.correlation_id) for a, key, email, link in invited]
        await store.publish(conn, network_topic(settings.topic_prefix, region), published, *mails)
    log.info("network.survey_published", region=region, survey_id=str(survey_id), recipients=len(invited))
    return survey_id


async def invitation(conn: Conn, token: str, *, lock: bool = False) -> Invitation:
    row = await conn.fetchrow(
        "SELECT i.survey_id, i.agent_id, s.region, s.title_fi, s.title_sv, s.anonymous, s.questions, i.answered,"
        " g.language FROM survey_invitations i JOIN surveys s USING (survey_id) JOIN agents g USING (agent_id)"
        f" WHERE i.link_digest = $1 AND g.status <> 'left'{' FOR UPDATE OF i' if lock else ''}",
        token_digest(token[:100]))
    if row is None:
        raise NotFound("the survey's link is not valid")
    swedish = row["language"] == "sv"
    return Invitation(survey_id=row["survey_id"], agent_id=row["agent_id"], region=row["region"],
                      title=row["title_sv" if swedish else "title_fi"], anonymous=row["anonymous"],
                      questions=[Question.model_validate(q) for q in orjson.loads(row["questions"])],
                      answered=row["answered"], swedish=swedish)


async def answer(*, uow: UnitOfWork, settings: NetworkSettings, token: str, given: dict[str, Any]) -> None:
    """Keep one answer per invitation; an anonymous one without the agent, a named one with them."""
    async with uow.transaction() as conn:
        inv = await invitation(conn, token, lock=True)
        if inv.answered:
            raise Conflict("the survey is answered already")
        answers = check_answers(inv.questions, given)
        await conn.execute("UPDATE survey_invitations SET answered = true WHERE survey_id = $1 AND agent_id = $2",
                           inv.survey_id, inv.agent_id)
        topic = network_topic(settings.topic_prefix, inv.region)
        # The texts are kept and published sealed with the survey's key, the rest as it is; past the texts'
        # retention (an answer after it) they are not kept at all.
        key = await survey_texts.ensure_key(conn, settings=settings, survey_id=inv.survey_id, region=inv.region)
        kept, texts = survey_texts.split(inv.questions, answers)
        if not key:
            texts = {}
        if inv.anonymous:
            await conn.execute("INSERT INTO pending_answers (answer_id, survey_id, answers, texts_sealed)"
                               " VALUES ($1, $2, $3::jsonb, $4::jsonb)", uuid.uuid4(), inv.survey_id,
                               orjson.dumps(kept).decode(),
                               survey_texts.seal_row(key, inv.survey_id, texts) if key is not None else None)
            await flush(conn, inv.survey_id, inv.region, topic, at_least=BATCH, keyring=settings.keyring)
            return
        await conn.execute("INSERT INTO survey_results (answer_id, survey_id, answers, texts_sealed)"
                           " VALUES ($1, $2, $3::jsonb, $4::jsonb)", uuid.uuid4(), inv.survey_id,
                           orjson.dumps(kept).decode(),
                           survey_texts.seal_row(key, inv.survey_id, texts) if key is not None else None)
        await store.publish(conn, topic, new_network_event(
            SurveyAnswered, kind="survey", subject_id=inv.survey_id, region=inv.region, actor="agent",
            payload=SurveyAnsweredPayload(agent_id=inv.agent_id, answers=kept,
                                          texts=survey_texts.seal_answer(key, inv.survey_id, texts)
                                          if key is not None else None)))


async def flush(conn: Conn, survey_id: uuid.UUID, region: str, topic: str, *, at_least: int,
                keyring: Keyring) -> int:
    """Publish the survey's waiting anonymous answers as one shuffled batch dated by the day, if there are at least
    ``at_least`` (after the due date: any); their texts leave sealed with the survey's key."""
    rows = await conn.fetch("SELECT answer_id, answers, texts_sealed FROM pending_answers WHERE survey_id = $1"
                            " FOR UPDATE", survey_id)
    if not rows or len(rows) < at_least:
        return 0
    key = await survey_texts.key_of(conn, survey_id, keyring)
    questions = await survey_texts.questions_of(conn, survey_id)
    batch = []
    for row in rows:
        # An answer kept before texts were sealed has them in place: split here, so none leaves unsealed.
        kept, texts = survey_texts.split(questions, orjson.loads(row["answers"]))
        texts.update(survey_texts.open_row(key, survey_id, row["texts_sealed"]))
        batch.append((row["answer_id"], kept, texts if key is not None else {}))
    batch = shuffled(batch)
    day = datetime.combine(datetime.now(UTC).date(), time(0, 0), tzinfo=UTC)
    await conn.executemany(
        "INSERT INTO survey_results (answer_id, survey_id, answers, texts_sealed)"
        " VALUES ($1, $2, $3::jsonb, $4::jsonb)",
        [(answer_id, survey_id, orjson.dumps(kept).decode(),
          survey_texts.seal_row(key, survey_id, texts) if key is not None else None)
         for answer_id, kept, texts in batch])
    await conn.execute("DELETE FROM pending_answers WHERE survey_id = $1", survey_id)
    sealed = survey_texts.seal_batch(key, survey_id, [t for _, _, t in batch]) if key is not None else None
    await store.publish(conn, topic, new_network_event(
        SurveyAnswersPublished, kind="survey", subject_id=survey_id, region=region, actor="network", occurred_at=day,
        payload=SurveyAnswersPublishedPayload(answers=tuple(a for _, a, _ in batch), texts=sealed)))
    return len(rows)


async def flush_closed(*, uow: UnitOfWork, settings: NetworkSettings) -> int:
    """After a survey's due date its last answers leave however few: nobody answers any more."""
    flushed = 0
    async with uow.transaction() as conn:
        for row in await conn.fetch("SELECT DISTINCT p.survey_id, s.region FROM pending_answers p JOIN surveys s"
                                    " USING (survey_id) WHERE s.due < (now() AT TIME ZONE 'Europe/Helsinki')::date"):
            flushed += await flush(conn, row["survey_id"], row["region"],
                                   network_topic(settings.topic_prefix, row["region"]), at_least=1,
                                   keyring=settings.keyring)
    return flushed


async def remind(*, uow: UnitOfWork, settings: NetworkSettings, survey_id: uuid.UUID, region: str) -> int:
    """One reminder to each invited agent who has not answered (nor been reminded); how many were reminded."""
    async with uow.transaction() as conn:
        if not await conn.fetchval("SELECT true FROM surveys WHERE survey_id = $1 AND region = $2", survey_id, region):
            raise NotFound("no such survey")  # another region's survey is not there for this coordinator
        rows = await conn.fetch(
            "SELECT i.agent_id, i.link_sealed, g.language FROM survey_invitations i JOIN surveys s USING (survey_id)"
            " JOIN agents g USING (agent_id) WHERE i.survey_id = $1 AND s.region = $2 AND NOT i.answered"
            " AND NOT i.reminded AND g.status = ANY($3::text[]) FOR UPDATE OF i", survey_id, region, list(RECEIVING))
        mails = []
        for row in rows:
            key = await agent_store.data_key(conn, row["agent_id"], settings.keyring)
            email = await store.agent_email(conn, row["agent_id"], key)
            if key is None or email is None:
                continue
            link = unseal_for_agent(key, row["agent_id"], Sealed.model_validate_json(row["link_sealed"]), LINK_PLACE)
            await conn.execute("UPDATE survey_invitations SET reminded = true WHERE survey_id = $1 AND agent_id = $2",
                               survey_id, row["agent_id"])
            mails.append(_mail(row["agent_id"], region, row["language"], key, email, str(link),
                               "network_survey_reminder", None))
        await store.publish(conn, network_topic(settings.topic_prefix, region), *mails)
    return len(mails)


async def survey_of(conn: Conn, survey_id: uuid.UUID, region: str, keyring: Keyring) -> dict[str, Any]:
    """A survey of the region with every answer kept; an anonymous one's texts while its key lasts."""
    row = await conn.fetchrow(
        "SELECT s.*, (SELECT count(*) FROM survey_invitations i WHERE i.survey_id = s.survey_id) AS invited,"
        " (SELECT count(*) FROM survey_invitations i WHERE i.survey_id = s.survey_id AND i.answered) AS answered"
        " FROM surveys s WHERE survey_id = $1 AND region = $2", survey_id, region)
    if row is None:
        raise NotFound("no such survey")
    found = dict(row)
    found["questions"] = [Question.model_validate(q) for q in orjson.loads(row["questions"])]
    key = await survey_texts.key_of(conn, survey_id, keyring)
    found["answers"] = [survey_texts.with_texts(orjson.loads(r["answers"]),
                                                survey_texts.open_row(key, survey_id, r["texts_sealed"]))
                        for r in await conn.fetch("SELECT answers, texts_sealed FROM survey_results"
                                                  " WHERE survey_id = $1", survey_id)]
    return found


async def listing(conn: Conn, region: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT s.survey_id, s.title_fi, s.title_sv, s.anonymous, s.due, count(i.agent_id) AS invited,"
        " count(i.agent_id) FILTER (WHERE i.answered) AS answered FROM surveys s LEFT JOIN survey_invitations i"
        " USING (survey_id) WHERE s.region = $1 GROUP BY s.survey_id ORDER BY s.published_at DESC", region)
    return [dict(r) for r in rows]
