"""The change agents' network's events (``<prefix>.<region>.network``), keyed by their subject.

Nothing here names a case, a family or a staff account of the case side: the network is a tool of its own, and
its people are often the region's staff or partners, so no record may join the two. An agent's personal data
(name, address, phone, organisation, why they joined) travels only sealed with the agent's own key
(shared/network_keys.py), so leaving the network (the key's tombstone) erases it wherever the stream reaches,
while the counts (municipality, sector, themes, languages, status) stay. Published versions are never edited: a
new version gets an upcaster in ``UPCASTERS`` below, as for the case stream (shared/codec.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, Field, TypeAdapter

from shared.applier import PoisonRecord, RecordLike
from shared.codec import Upcasters, decode_with
from shared.db import Conn
from shared.errors import UndecodableEvent
from shared.event_base import Frozen, Language, NetworkEventBase, SubjectKind
from shared.sealing import Sealed

Sector = Literal["municipality", "county", "school", "ngo", "parish", "business", "family", "other"]
Theme = Literal["early_support", "schools", "health", "parenting", "youth", "services", "communication"]
SECTORS: tuple[Sector, ...] = ("municipality", "county", "school", "ngo", "parish", "business", "family", "other")
THEMES: tuple[Theme, ...] = ("early_support", "schools", "health", "parenting", "youth", "services",
                             "communication")
# What the network's mail is about; notify renders each kind from its own templates.
MailKind = Literal["network_confirm", "network_welcome", "network_task", "network_news", "network_survey",
                   "network_survey_reminder"]
# Where a sealed value of an agent belongs (shared/network_keys.py binds it there).
APPLIED_PERSONAL = "agent.applied/personal"
PROFILE_PERSONAL = "agent.profile_changed/personal"
REPORT_NOTE = "task.reported/note"
MAIL_CONTENT = "network.mail_requested/content"


class CampaignOpenedPayload(Frozen):
    opens_at: AwareDatetime
    closes_at: AwareDatetime = Field(description="the end of the closing day in Helsinki time")
    closing_day: date
    consent_version: str


class CampaignOpened(NetworkEventBase):
    """A region opened recruitment: applications are taken from ``opens_at`` until ``closes_at``."""

    type: Literal["campaign.opened"] = "campaign.opened"
    schema_version: Literal[1] = 1
    payload: CampaignOpenedPayload


class AgentAppliedPayload(Frozen):
    campaign_id: uuid.UUID
    municipality: str
    sector: Sector
    themes: tuple[Theme, ...]
    languages: tuple[Language, ...]
    language: Language = Field(description="the language the agent is written to in")
    consent_version: str = Field(description="the version of the consent text the applicant agreed to")
    personal: Sealed = Field(description="name, e-mail, phone, organisation and why, sealed with the agent's key")


class AgentApplied(NetworkEventBase):
    """Someone applied through the recruitment form; they are an agent once they confirm their address."""

    type: Literal["agent.applied"] = "agent.applied"
    schema_version: Literal[1] = 1
    payload: AgentAppliedPayload


class AgentConfirmedPayload(Frozen):
    campaign_id: uuid.UUID


class AgentConfirmed(NetworkEventBase):
    """The applicant opened the link mailed to them (double opt-in): the address is theirs."""

    type: Literal["agent.confirmed"] = "agent.confirmed"
    schema_version: Literal[1] = 1
    payload: AgentConfirmedPayload


class AgentProfileChangedPayload(Frozen):
    municipality: str
    sector: Sector
    themes: tuple[Theme, ...]
    languages: tuple[Language, ...]
    language: Language
    personal: Sealed = Field(description="name, e-mail, phone and organisation, sealed with the agent's key")


class AgentProfileChanged(NetworkEventBase):
    """The agent changed their own profile through their personal link."""

    type: Literal["agent.profile_changed"] = "agent.profile_changed"
    schema_version: Literal[1] = 1
    payload: AgentProfileChangedPayload


class AgentStatusPayload(Frozen):
    status: Literal["paused", "confirmed", "left"] = Field(
        description="paused: no tasks, surveys or news until they come back (confirmed); left: erased")


class AgentStatusChanged(NetworkEventBase):
    """The agent paused, came back, or left the network; leaving erases their key (a tombstone on the network
    key topic, in the same transaction), so nothing sealed of them opens again, while the counts remain."""

    type: Literal["agent.status_changed"] = "agent.status_changed"
    schema_version: Literal[1] = 1
    payload: AgentStatusPayload


class ApplicationExpiredPayload(Frozen):
    campaign_id: uuid.UUID


class ApplicationExpired(NetworkEventBase):
    """An application whose address was never confirmed, erased when its confirmation link's time ran out: its key
    is tombstoned on the network key topic in the same transaction, and it leaves the registry (it never joined)."""

    type: Literal["agent.application_expired"] = "agent.application_expired"
    schema_version: Literal[1] = 1
    payload: ApplicationExpiredPayload


class Segment(Frozen):
    """Whom something goes to: agents in the network (not on a break) matching every criterion given; an empty
    criterion is everyone. Themes and languages match when the agent has any of those named."""

    municipalities: tuple[str, ...] = ()
    sectors: tuple[Sector, ...] = ()
    themes: tuple[Theme, ...] = ()
    languages: tuple[Language, ...] = ()


class TaskPublishedPayload(Frozen):
    title_fi: str
    title_sv: str
    brief_fi: str
    brief_sv: str
    due: date
    segment: Segment
    recipients: int = Field(description="how many agents the task went to (each once)")


class TaskPublished(NetworkEventBase):
    """A network coordinator published a task to a segment; each agent in it is mailed a link of their own."""

    type: Literal["task.published"] = "task.published"
    schema_version: Literal[1] = 1
    payload: TaskPublishedPayload


class TaskAcceptedPayload(Frozen):
    agent_id: uuid.UUID


class TaskAccepted(NetworkEventBase):
    type: Literal["task.accepted"] = "task.accepted"
    schema_version: Literal[1] = 1
    payload: TaskAcceptedPayload


class TaskReportedPayload(Frozen):
    agent_id: uuid.UUID
    reached: int = Field(ge=0, description="how many people the agent reached with the task")
    note: Sealed | None = Field(default=None, description="the agent's note, sealed with their key")


class TaskReported(NetworkEventBase):
    """An agent reported a task done: figures, and an optional note only their key opens."""

    type: Literal["task.reported"] = "task.reported"
    schema_version: Literal[1] = 1
    payload: TaskReportedPayload


class NewsPublishedPayload(Frozen):
    title_fi: str
    title_sv: str
    body_fi: str
    body_sv: str
    segment: Segment
    recipients: int = Field(description="how many agents it was mailed to (each once; not those who unsubscribed)")


class NewsPublished(NetworkEventBase):
    """A network coordinator broadcast news to a segment, in Finnish and Swedish."""

    type: Literal["news.published"] = "news.published"
    schema_version: Literal[1] = 1
    payload: NewsPublishedPayload


class NewsUnsubscribedPayload(Frozen):
    news_id: uuid.UUID = Field(description="the news whose link the agent unsubscribed from")


class NewsUnsubscribed(NetworkEventBase):
    """The agent asked for no more news (tasks and surveys still come)."""

    type: Literal["agent.news_unsubscribed"] = "agent.news_unsubscribed"
    schema_version: Literal[1] = 1
    payload: NewsUnsubscribedPayload


QuestionKind = Literal["single", "multiple", "scale", "number", "text"]


class Question(Frozen):
    """One question of a survey in Finnish and Swedish; choices for single and multiple choice only."""

    kind: QuestionKind
    text_fi: str = Field(min_length=1, max_length=300)
    text_sv: str = Field(min_length=1, max_length=300)
    options_fi: tuple[str, ...] = ()
    options_sv: tuple[str, ...] = ()


class SurveyPublishedPayload(Frozen):
    title_fi: str
    title_sv: str
    anonymous: bool = Field(description="decided when published and shown to each respondent")
    due: date
    questions: tuple[Question, ...]
    segment: Segment
    recipients: int


class SurveyPublished(NetworkEventBase):
    type: Literal["survey.published"] = "survey.published"
    schema_version: Literal[1] = 1
    payload: SurveyPublishedPayload


# An answer per question, by its position: a choice's position, several, 1-5, a number or a text.
AnswerValue = int | float | str | list[int] | None


class SurveyAnsweredPayload(Frozen):
    agent_id: uuid.UUID
    answers: dict[str, AnswerValue] = Field(description="from v2 a free-text answer is null here")
    texts: Sealed | None = Field(default=None, description=(
        "v2: the free-text answers, {question: text}, sealed with the survey's own key (shared/survey_keys.py), "
        "erased when the region's retention for them ends; none: no text"))


class SurveyAnswered(NetworkEventBase):
    """A named survey's answer: whose it is is part of it, as the respondent was told. Version 2 seals the free
    texts with the survey's key: they can be erased, the counts stay."""

    type: Literal["survey.answered"] = "survey.answered"
    schema_version: Literal[2] = 2
    payload: SurveyAnsweredPayload


class SurveyAnswersPublishedPayload(Frozen):
    answers: tuple[dict[str, AnswerValue], ...] = Field(
        description="shuffled; no agent id, no time of its own; from v2 a free-text answer is null here")
    texts: Sealed | None = Field(default=None, description=(
        "v2: the batch's free-text answers, {position in answers: {question: text}}, sealed with the survey's own "
        "key (shared/survey_keys.py), which is erased when the region's retention for them ends; none: no text"))


class SurveyAnswersPublished(NetworkEventBase):
    """A batch of an anonymous survey's answers: shuffled, with the day as its only time, so that neither order
    nor time links an answer to an invitation (who answered is only in the network's own table). Version 2 seals
    the free texts with the survey's key: they can be erased, the counts stay."""

    type: Literal["survey.answers_published"] = "survey.answers_published"
    schema_version: Literal[2] = 2
    payload: SurveyAnswersPublishedPayload


class MailRequestedPayload(Frozen):
    mail_id: uuid.UUID = Field(description="notify's send-once key for this message")
    kind: MailKind
    language: Language
    content: Sealed = Field(description="the address and the link, sealed with the agent's key")


class MailRequested(NetworkEventBase):
    """A message for notify to send to one agent, once; what it says is notify's template, never free text."""

    type: Literal["network.mail_requested"] = "network.mail_requested"
    schema_version: Literal[1] = 1
    payload: MailRequestedPayload


NetworkEvent = Annotated[CampaignOpened | AgentApplied | AgentConfirmed | AgentProfileChanged | AgentStatusChanged
                         | MailRequested | TaskPublished | TaskAccepted | TaskReported | NewsPublished
                         | NewsUnsubscribed | SurveyPublished | SurveyAnswered | SurveyAnswersPublished
                         | ApplicationExpired,
                         Field(discriminator="type")]
NETWORK_EVENTS: tuple[type[NetworkEventBase], ...] = (CampaignOpened, AgentApplied, AgentConfirmed, AgentProfileChanged,
                                                      AgentStatusChanged, MailRequested, TaskPublished, TaskAccepted,
                                                      TaskReported, NewsPublished, NewsUnsubscribed, SurveyPublished,
                                                      SurveyAnswered, SurveyAnswersPublished, ApplicationExpired)
CURRENT_VERSIONS: dict[str, int] = {cls.model_fields["type"].default: cls.model_fields["schema_version"].default
                                    for cls in NETWORK_EVENTS}
UPCASTERS = Upcasters(CURRENT_VERSIONS)
# Where a sealed value of a survey belongs (shared/survey_keys.py binds it there).
SURVEY_TEXTS = "survey.answers_published/texts"
SURVEY_ANSWER_TEXTS = "survey.answered/texts"


@UPCASTERS.register("survey.answers_published", 1)
@UPCASTERS.register("survey.answered", 1)
def _answers_v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """A v1 batch or named answer carried its texts in the answers, unsealed: read as it was, with no sealed texts
    beside it."""
    raw["payload"] = {**raw.get("payload", {}), "texts": None}
    return raw
_ADAPTER: TypeAdapter[NetworkEventBase] = TypeAdapter(NetworkEvent)

N = TypeVar("N", bound=NetworkEventBase)


def new_network_event(cls: type[N], *, kind: SubjectKind, subject_id: uuid.UUID, region: str, actor: str,
                      payload: BaseModel, occurred_at: datetime | None = None,
                      correlation_id: uuid.UUID | None = None) -> N:
    event_id = uuid.uuid4()
    return cls.model_validate({
        "event_id": event_id, "subject_kind": kind, "subject_id": subject_id, "region": region,
        "occurred_at": occurred_at or datetime.now(UTC), "actor": actor,
        "correlation_id": correlation_id or event_id, "payload": payload})


def decode_network(raw: bytes) -> NetworkEventBase | None:
    """One record of the network topic; None for a type this code does not know (a newer producer's)."""
    event: NetworkEventBase | None = decode_with(raw, _ADAPTER, UPCASTERS)
    return event


NetworkHandler = Callable[[Conn, Any], Awaitable[None]]
_FIRST_TIME = ("INSERT INTO processed_events (event_id, topic, partition, record_offset) VALUES ($1, $2, $3, $4)"
               " ON CONFLICT DO NOTHING RETURNING true")


def network_record_handler(handlers: Mapping[str, NetworkHandler]) -> Callable[[Conn, RecordLike], Awaitable[None]]:
    """A record handler for the network topic: decoded, applied once per event id (a relay's duplicate is
    skipped, as the applier does for a case stream), and given to the handler of its type."""
    async def handle(conn: Conn, record: RecordLike) -> None:
        if record.value is None:
            raise PoisonRecord("empty record on the network stream")
        try:
            event = decode_network(record.value)
        except UndecodableEvent as exc:
            raise PoisonRecord(str(exc)) from exc
        if event is None:
            return
        if not await conn.fetchval(_FIRST_TIME, event.event_id, record.topic, record.partition, record.offset):
            return
        handler = handlers.get(event.type)
        if handler is not None:
            await handler(conn, event)
    return handle
