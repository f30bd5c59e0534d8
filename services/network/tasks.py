"""Tasks: a network coordinator publishes one to a segment; each agent in it is mailed a link of their own, once;
they accept it and report how many they reached, with an optional note (sealed with their key, so leaving erases
it). Completion is counted per task, municipality and sector."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

import structlog
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.network import agent_store, store
from services.network.domain import new_token, token_digest
from services.network.settings import NetworkSettings
from shared.app import UnitOfWork
from shared.db import Conn
from shared.errors import Conflict, NotFound
from shared.network_events import (
    MAIL_CONTENT,
    REPORT_NOTE,
    MailRequested,
    MailRequestedPayload,
    Segment,
    TaskAccepted,
    TaskAcceptedPayload,
    TaskPublished,
    TaskPublishedPayload,
    TaskReported,
    TaskReportedPayload,
    new_network_event,
)
from shared.network_keys import seal_for_agent
from shared.text import multi_line, single_line
from shared.topics import network_topic

log = structlog.get_logger(__name__)
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
                  AfterValidator(single_line)]
Brief = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
                  AfterValidator(multi_line)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000), AfterValidator(multi_line)]
# Who gets a task: in the network, not on a break (nor applied, nor left).
RECEIVING = ("confirmed", "active")


class NewTask(BaseModel):
    """A task as a network coordinator writes it, in Finnish and Swedish, with its due date and segment."""

    model_config = ConfigDict(extra="forbid")

    title_fi: Title
    title_sv: Title
    brief_fi: Brief
    brief_sv: Brief
    due: date
    segment: Segment = Field(default_factory=Segment)


class Report(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reached: int = Field(ge=0, le=1_000_000, description="how many people the agent reached")
    note: Note = ""


@dataclass(frozen=True)
class AgentTask:
    task_id: uuid.UUID
    agent_id: uuid.UUID
    region: str
    title: str
    brief: str
    due: date
    accepted: bool
    reported: bool


def task_link(settings: NetworkSettings, token: str, lang: str) -> str:
    return f"{settings.network_url.rstrip('/')}/t/{token}?{urlencode({'lang': lang})}"


def in_segment(row: Any, segment: Segment) -> bool:
    return ((not segment.municipalities or row["municipality"] in segment.municipalities)
            and (not segment.sectors or row["sector"] in segment.sectors)
            and (not segment.themes or bool(set(segment.themes) & set(row["themes"])))
            and (not segment.languages or bool(set(segment.languages) & set(row["languages"]))))


async def publish(*, uow: UnitOfWork, settings: NetworkSettings, region: str, by: str, task: NewTask) -> uuid.UUID:
    """Store the task and mail each agent of the segment their own link, in one transaction: an agent who joins,
    pauses or leaves meanwhile is either in it or not, and nobody is mailed twice (one assignment each)."""
    task_id = uuid.uuid4()
    topic = network_topic(settings.topic_prefix, region)
    async with uow.transaction() as conn:
        when = await store.moment(conn, None)
        agents = [r for r in await conn.fetch(
            "SELECT agent_id, municipality, sector, themes, languages, language FROM agents WHERE region = $1"
            " AND status = ANY($2::text[]) FOR SHARE", region, list(RECEIVING)) if in_segment(r, task.segment)]
        await conn.execute(
            "INSERT INTO tasks (task_id, region, title_fi, title_sv, brief_fi, brief_sv, due, segment, published_at,"
            " published_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)", task_id, region, task.title_fi,
            task.title_sv, task.brief_fi, task.brief_sv, task.due, task.segment.model_dump_json(), when, by)
        published = new_network_event(
            TaskPublished, kind="task", subject_id=task_id, region=region, actor=by, occurred_at=when,
            payload=TaskPublishedPayload(title_fi=task.title_fi, title_sv=task.title_sv, brief_fi=task.brief_fi,
                                         brief_sv=task.brief_sv, due=task.due, segment=task.segment,
                                         recipients=len(agents)))
        mails = []
        for agent in agents:
            key = await agent_store.data_key(conn, agent["agent_id"], settings.keyring)
            email = await store.agent_email(conn, agent["agent_id"], key)
            if key is None or email is None:
                continue
            token = new_token()
            await conn.execute("INSERT INTO task_assignments (task_id, agent_id, link_digest) VALUES ($1, $2, $3)",
                               task_id, agent["agent_id"], token_digest(token))
            mails.append(new_network_event(
                MailRequested, kind="agent", subject_id=agent["agent_id"], region=region, actor="network",
                occurred_at=when, correlation_id=published.correlation_id,
                payload=MailRequestedPayload(mail_id=uuid.uuid4(), kind="network_task", language=agent["language"],
                                             content=seal_for_agent(key, agent["agent_id"], {
                                                 "to": email, "link": task_link(settings, token, agent["language"])},
                                                 MAIL_CONTENT))))
        await store.publish(conn, topic, published, *mails)
    log.info("network.task_published", region=region, task_id=str(task_id), recipients=len(mails))
    return task_id


async def agent_task(conn: Conn, token: str, *, lock: bool = False) -> AgentTask:
    row = await conn.fetchrow(
        "SELECT a.task_id, a.agent_id, t.region, t.title_fi, t.title_sv, t.brief_fi, t.brief_sv, t.due,"
        " a.accepted_at, a.reported_at, g.language FROM task_assignments a JOIN tasks t USING (task_id)"
        " JOIN agents g USING (agent_id) WHERE a.link_digest = $1 AND g.status <> 'left'"
        f"{' FOR UPDATE OF a' if lock else ''}", token_digest(token[:100]))
    if row is None:
        raise NotFound("the task's link is not valid")
    swedish = row["language"] == "sv"
    return AgentTask(task_id=row["task_id"], agent_id=row["agent_id"], region=row["region"],
                     title=row["title_sv" if swedish else "title_fi"], brief=row["brief_sv" if swedish else "brief_fi"],
                     due=row["due"], accepted=row["accepted_at"] is not None, reported=row["reported_at"] is not None)


async def accept(*, uow: UnitOfWork, settings: NetworkSettings, token: str) -> None:
    async with uow.transaction() as conn:
        task = await agent_task(conn, token, lock=True)
        if task.accepted:
            return  # accepting again changes nothing
        when = await store.moment(conn, None)
        await conn.execute("UPDATE task_assignments SET accepted_at = $3 WHERE task_id = $1 AND agent_id = $2",
                           task.task_id, task.agent_id, when)
        await store.publish(conn, network_topic(settings.topic_prefix, task.region), new_network_event(
            TaskAccepted, kind="task", subject_id=task.task_id, region=task.region, actor="agent", occurred_at=when,
            payload=TaskAcceptedPayload(agent_id=task.agent_id)))


async def report(*, uow: UnitOfWork, settings: NetworkSettings, token: str, body: Report) -> None:
    async with uow.transaction() as conn:
        task = await agent_task(conn, token, lock=True)
        if task.reported:
            raise Conflict("the task is reported already")
        key = await agent_store.data_key(conn, task.agent_id, settings.keyring)
        if key is None:
            raise NotFound("the task's link is not valid")
        when = await store.moment(conn, None)
        note = seal_for_agent(key, task.agent_id, body.note, REPORT_NOTE) if body.note else None
        await conn.execute(
            "UPDATE task_assignments SET accepted_at = coalesce(accepted_at, $3), reported_at = $3, reached = $4,"
            " note = $5::jsonb WHERE task_id = $1 AND agent_id = $2", task.task_id, task.agent_id, when, body.reached,
            note.model_dump_json() if note else None)
        await store.publish(conn, network_topic(settings.topic_prefix, task.region), new_network_event(
            TaskReported, kind="task", subject_id=task.task_id, region=task.region, actor="agent", occurred_at=when,
            payload=TaskReportedPayload(agent_id=task.agent_id, reached=body.reached, note=note)))


async def completion(conn: Conn, region: str) -> list[dict[str, Any]]:
    """Each task with how many it went to, accepted and reported, and the people reached; newest first."""
    rows = await conn.fetch(
        "SELECT t.task_id, t.title_fi, t.title_sv, t.due, t.published_at, count(a.agent_id) AS recipients,"
        " count(a.accepted_at) AS accepted, count(a.reported_at) AS reported, coalesce(sum(a.reached), 0) AS reached"
        " FROM tasks t LEFT JOIN task_assignments a USING (task_id) WHERE t.region = $1"
        " GROUP BY t.task_id ORDER BY t.published_at DESC", region)
    return [dict(r) for r in rows]


async def completion_by(conn: Conn, task_id: uuid.UUID, region: str, column: str) -> list[dict[str, Any]]:
    """A task's completion per municipality or per sector, as the agents' profiles say now."""
    assert column in ("municipality", "sector")
    rows = await conn.fetch(
        f"SELECT g.{column} AS value, count(*) AS recipients, count(a.accepted_at) AS accepted,"
        " count(a.reported_at) AS reported FROM task_assignments a JOIN agents g USING (agent_id)"
        f" JOIN tasks t USING (task_id) WHERE a.task_id = $1 AND t.region = $2 GROUP BY g.{column} ORDER BY 1",
        task_id, region)
    return [dict(r) for r in rows]
