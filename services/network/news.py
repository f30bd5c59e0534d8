"""News: a network coordinator broadcasts it to a segment in Finnish and Swedish; each agent in the network and in
the segment who has not unsubscribed is mailed a link of their own, once (notify's send-once ledger keeps the mail
to one send); the page behind the link shows the news in the agent's language and lets them unsubscribe."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import structlog
from pydantic import BaseModel, ConfigDict, Field

from services.network import agent_store, store
from services.network.domain import new_token, token_digest
from services.network.settings import NetworkSettings
from services.network.tasks import RECEIVING, Brief, Title, in_segment
from shared.app import UnitOfWork
from shared.db import Conn
from shared.errors import NotFound
from shared.network_events import (
    MAIL_CONTENT,
    MailRequested,
    MailRequestedPayload,
    NewsPublished,
    NewsPublishedPayload,
    NewsUnsubscribed,
    NewsUnsubscribedPayload,
    Segment,
    new_network_event,
)
from shared.network_keys import seal_for_agent
from shared.topics import network_topic

log = structlog.get_logger(__name__)


class NewNews(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title_fi: Title
    title_sv: Title
    body_fi: Brief
    body_sv: Brief
    segment: Segment = Field(default_factory=Segment)


@dataclass(frozen=True)
class AgentNews:
    news_id: uuid.UUID
    agent_id: uuid.UUID
    region: str
    title: str
    body: str
    unsubscribed: bool


def news_link(settings: NetworkSettings, token: str, lang: str) -> str:
    return f"{settings.network_url.rstrip('/')}/n/{token}?{urlencode({'lang': lang})}"


async def publish(*, uow: UnitOfWork, settings: NetworkSettings, region: str, by: str, news: NewNews) -> uuid.UUID:
    news_id = uuid.uuid4()
    async with uow.transaction() as conn:
        when = await store.moment(conn, None)
        agents = [r for r in await conn.fetch(
            "SELECT agent_id, municipality, sector, themes, languages, language FROM agents WHERE region = $1"
            " AND status = ANY($2::text[]) AND news_unsubscribed_at IS NULL FOR SHARE", region, list(RECEIVING))
            if in_segment(r, news.segment)]
        await conn.execute(
            "INSERT INTO news (news_id, region, title_fi, title_sv, body_fi, body_sv, segment, published_at,"
            " published_by) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)", news_id, region, news.title_fi,
            news.title_sv, news.body_fi, news.body_sv, news.segment.model_dump_json(), when, by)
        mails = []
        for agent in agents:
            key = await agent_store.data_key(conn, agent["agent_id"], settings.keyring)
            email = await store.agent_email(conn, agent["agent_id"], key)
            if key is None or email is None:
                continue
            token = new_token()
            await conn.execute("INSERT INTO news_deliveries (news_id, agent_id, link_digest) VALUES ($1, $2, $3)",
                               news_id, agent["agent_id"], token_digest(token))
            mails.append((agent, key, email, token))
        published = new_network_event(
            NewsPublished, kind="news", subject_id=news_id, region=region, actor=by, occurred_at=when,
            payload=NewsPublishedPayload(title_fi=news.title_fi, title_sv=news.title_sv, body_fi=news.body_fi,
                                         body_sv=news.body_sv, segment=news.segment, recipients=len(mails)))
        events = [new_network_event(
            MailRequested, kind="agent", subject_id=agent["agent_id"], region=region, actor="network",
            occurred_at=when, correlation_id=published.correlation_id,
            payload=MailRequestedPayload(mail_id=uuid.uuid4(), kind="network_news", language=agent["language"],
                                         content=seal_for_agent(key, agent["agent_id"], {
                                             "to": email, "link": news_link(settings, token, agent["language"])},
                                             MAIL_CONTENT))) for agent, key, email, token in mails]
        await store.publish(conn, network_topic(settings.topic_prefix, region), published, *events)
    log.info("network.news_published", region=region, news_id=str(news_id), recipients=len(mails))
    return news_id


async def agent_news(conn: Conn, token: str) -> AgentNews:
    row = await conn.fetchrow(
        "SELECT d.news_id, d.agent_id, n.region, n.title_fi, n.title_sv, n.body_fi, n.body_sv, g.language,"
        " g.news_unsubscribed_at FROM news_deliveries d JOIN news n USING (news_id) JOIN agents g USING (agent_id)"
        " WHERE d.link_digest = $1 AND g.status <> 'left'", token_digest(token[:100]))
    if row is None:
        raise NotFound("the news link is not valid")
    swedish = row["language"] == "sv"
    return AgentNews(news_id=row["news_id"], agent_id=row["agent_id"], region=row["region"],
                     title=row["title_sv" if swedish else "title_fi"], body=row["body_sv" if swedish else "body_fi"],
                     unsubscribed=row["news_unsubscribed_at"] is not None)


async def unsubscribe(*, uow: UnitOfWork, settings: NetworkSettings, token: str) -> None:
    async with uow.transaction() as conn:
        item = await agent_news(conn, token)
        if item.unsubscribed:
            return
        when = await store.moment(conn, None)
        await conn.execute("UPDATE agents SET news_unsubscribed_at = $2 WHERE agent_id = $1", item.agent_id, when)
        await store.publish(conn, network_topic(settings.topic_prefix, item.region), new_network_event(
            NewsUnsubscribed, kind="agent", subject_id=item.agent_id, region=item.region, actor="agent",
            occurred_at=when, payload=NewsUnsubscribedPayload(news_id=item.news_id)))


async def listing(conn: Conn, region: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT n.news_id, n.title_fi, n.title_sv, n.published_at, count(d.agent_id) AS recipients FROM news n"
        " LEFT JOIN news_deliveries d USING (news_id) WHERE n.region = $1 GROUP BY n.news_id"
        " ORDER BY n.published_at DESC", region)
    return [dict(r) for r in rows]

