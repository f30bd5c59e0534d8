"""The change agents' network in reporting's projection, from the region's network topic: counts only. Reporting
holds no agent key, so nothing sealed opens here; an anonymous survey's answers arrive in batches without agents."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from shared.applier import RecordHandler
from shared.businessdays import HELSINKI
from shared.db import Conn
from shared.network_events import (
    AgentApplied,
    AgentConfirmed,
    AgentProfileChanged,
    AgentStatusChanged,
    AnswerValue,
    CampaignOpened,
    NetworkHandler,
    Question,
    SurveyAnswered,
    SurveyAnswersPublished,
    SurveyPublished,
    TaskAccepted,
    TaskPublished,
    TaskReported,
    network_record_handler,
)

TABLES = ["network_agents", "network_campaigns", "network_tasks", "network_surveys", "network_survey_cells"]


def _day(event: Any) -> date:
    return event.occurred_at.astimezone(HELSINKI).date()  # type: ignore[no-any-return]


async def on_campaign(conn: Conn, event: CampaignOpened) -> None:
    await conn.execute("INSERT INTO network_campaigns (campaign_id, region, opening_day, closing_day)"
                       " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", event.subject_id, event.region,
                       event.payload.opens_at.astimezone(HELSINKI).date(), event.payload.closing_day)


async def on_applied(conn: Conn, event: AgentApplied) -> None:
    await conn.execute("INSERT INTO network_agents (agent_id, region, municipality, sector, applied_on, status)"
                       " VALUES ($1, $2, $3, $4, $5, 'applied') ON CONFLICT DO NOTHING", event.subject_id,
                       event.region, event.payload.municipality, event.payload.sector, _day(event))


async def on_confirmed(conn: Conn, event: AgentConfirmed) -> None:
    await conn.execute("UPDATE network_agents SET status = 'confirmed' WHERE agent_id = $1", event.subject_id)


async def on_profile(conn: Conn, event: AgentProfileChanged) -> None:
    await conn.execute("UPDATE network_agents SET municipality = $2, sector = $3 WHERE agent_id = $1",
                       event.subject_id, event.payload.municipality, event.payload.sector)


async def on_status(conn: Conn, event: AgentStatusChanged) -> None:
    await conn.execute("UPDATE network_agents SET status = $2 WHERE agent_id = $1", event.subject_id,
                       event.payload.status)


async def on_task(conn: Conn, event: TaskPublished) -> None:
    p = event.payload
    await conn.execute("INSERT INTO network_tasks (task_id, region, title_fi, title_sv, published_on, recipients)"
                       " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING", event.subject_id, event.region,
                       p.title_fi, p.title_sv, _day(event), p.recipients)


async def on_accepted(conn: Conn, event: TaskAccepted) -> None:
    await conn.execute("UPDATE network_tasks SET accepted = accepted + 1 WHERE task_id = $1", event.subject_id)


async def on_reported(conn: Conn, event: TaskReported) -> None:
    await conn.execute("UPDATE network_tasks SET reported = reported + 1 WHERE task_id = $1", event.subject_id)


async def on_survey(conn: Conn, event: SurveyPublished) -> None:
    p = event.payload
    await conn.execute("INSERT INTO network_surveys (survey_id, region, title_fi, title_sv, questions)"
                       " VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT DO NOTHING", event.subject_id, event.region,
                       p.title_fi, p.title_sv, "[" + ",".join(q.model_dump_json() for q in p.questions) + "]")


async def _count(conn: Conn, survey_id: Any, answers: list[dict[str, AnswerValue]]) -> None:
    """Each answer's choices and scores counted; numbers and texts are not (reporting shows counts only)."""
    await conn.execute("UPDATE network_surveys SET answers = answers + $2 WHERE survey_id = $1", survey_id,
                       len(answers))
    raw = await conn.fetchval("SELECT questions FROM network_surveys WHERE survey_id = $1", survey_id)
    kinds = [Question.model_validate(q).kind for q in orjson.loads(raw)] if raw is not None else []
    cells: dict[tuple[int, int], int] = {}
    for answer in answers:
        for key, value in answer.items():
            index = int(key)
            if index >= len(kinds) or kinds[index] not in ("single", "multiple", "scale"):
                continue
            chosen = value if isinstance(value, list) else [value] if isinstance(value, int) else []
            for choice in chosen:
                cells[(index, int(choice))] = cells.get((index, int(choice)), 0) + 1
    for (index, choice), count in cells.items():
        await conn.execute("INSERT INTO network_survey_cells (survey_id, question, choice, answers)"
                           " VALUES ($1, $2, $3, $4) ON CONFLICT (survey_id, question, choice)"
                           " DO UPDATE SET answers = network_survey_cells.answers + EXCLUDED.answers",
                           survey_id, index, choice, count)


async def on_answers(conn: Conn, event: SurveyAnswersPublished) -> None:
    await _count(conn, event.subject_id, list(event.payload.answers))


async def on_answered(conn: Conn, event: SurveyAnswered) -> None:
    await _count(conn, event.subject_id, [event.payload.answers])


HANDLERS: dict[str, NetworkHandler] = {
    "campaign.opened": on_campaign, "agent.applied": on_applied, "agent.confirmed": on_confirmed,
    "agent.profile_changed": on_profile, "agent.status_changed": on_status, "task.published": on_task,
    "task.accepted": on_accepted, "task.reported": on_reported, "survey.published": on_survey,
    "survey.answers_published": on_answers, "survey.answered": on_answered}
on_network_record: RecordHandler = network_record_handler(HANDLERS)
