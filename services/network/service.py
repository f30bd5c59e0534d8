"""The network's use cases: one function per thing a person does, free of FastAPI."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

import structlog

from services.network import agent_store, store
from services.network.domain import (
    Campaign,
    Recruitment,
    closing_moment,
    new_token,
    opening_moment,
    pick_campaign,
    token_digest,
)
from services.network.models import Application, Applied
from services.network.settings import NetworkSettings
from shared.app import UnitOfWork
from shared.businessdays import HELSINKI
from shared.db import Conn
from shared.errors import Conflict, DomainError, InvalidCommand, NotFound
from shared.network_events import (
    APPLIED_PERSONAL,
    MAIL_CONTENT,
    AgentApplied,
    AgentAppliedPayload,
    AgentConfirmed,
    AgentConfirmedPayload,
    CampaignOpened,
    CampaignOpenedPayload,
    MailRequested,
    MailRequestedPayload,
    new_network_event,
)
from shared.network_keys import network_keyring, seal_for_agent, wrap_agent_key
from shared.regions import Regions
from shared.sealing import new_data_key
from shared.topics import network_keys_topic, network_topic

log = structlog.get_logger(__name__)


class RecruitmentClosed(DomainError):
    """The campaign's closing moment has passed: nothing is kept."""

    status_code = 410
    code = "recruitment_closed"


class RecruitmentNotOpen(Conflict):
    """No campaign of the region has opened yet."""

    code = "recruitment_not_open"


class InvalidApplication(InvalidCommand):
    """A value the model cannot check alone (the municipality is not one of the served regions')."""

    code = "invalid_application"


@dataclass(frozen=True)
class Recruiting:
    """What the form's page shows of the region's recruitment at a moment."""

    campaign_id: uuid.UUID
    campaign: Campaign
    state: Recruitment
    closing_day: date


async def open_campaign(*, uow: UnitOfWork, settings: NetworkSettings, regions: Regions, region: str,
                        opening_day: date, closing_day: date) -> uuid.UUID:
    """A region's recruitment, open from the start of ``opening_day`` to the end of ``closing_day`` (Helsinki)."""
    if region not in regions.by_id:
        raise InvalidCommand(f"unknown region '{region}'", field="region")
    if closing_day < opening_day:
        raise InvalidCommand("the closing day is before the opening day", field="closing_day")
    campaign = Campaign(opens_at=opening_moment(opening_day), closes_at=closing_moment(closing_day))
    campaign_id = uuid.uuid4()
    event = new_network_event(
        CampaignOpened, kind="campaign", subject_id=campaign_id, region=region, actor="network",
        payload=CampaignOpenedPayload(opens_at=campaign.opens_at, closes_at=campaign.closes_at,
                                      closing_day=closing_day, consent_version=settings.consent_version))
    async with uow.transaction() as conn:
        await store.insert_campaign(conn, campaign_id=campaign_id, region=region, campaign=campaign,
                                    closing_day=closing_day, consent_version=settings.consent_version)
        await store.publish(conn, network_topic(settings.topic_prefix, region), event)
    log.info("network.campaign_opened", region=region, campaign_id=str(campaign_id))
    return campaign_id


async def recruiting(*, conn: Conn, region: str, at: datetime) -> Recruiting | None:
    """The region's recruitment as a page shows it at ``at`` (None: the region has never recruited)."""
    picked = pick_campaign(await store.campaigns_of(conn, region), at)
    if picked is None:
        return None
    campaign_id, campaign = picked
    closing_day = (campaign.closes_at - timedelta(seconds=1)).astimezone(HELSINKI).date()
    return Recruiting(campaign_id=campaign_id, campaign=campaign, state=campaign.state(at), closing_day=closing_day)


def confirm_link(settings: NetworkSettings, token: str, lang: str) -> str:
    return f"{settings.network_url.rstrip('/')}/confirm?{urlencode({'token': token, 'lang': lang})}"


async def apply(*, uow: UnitOfWork, application: Application, settings: NetworkSettings, regions: Regions,
                at: datetime | None = None) -> tuple[Applied, bool]:
    """Keep an application if the region's campaign is open at the moment it is stored, and mail the link that
    confirms the address (double opt-in). A retried submission returns the same applicant (False)."""
    try:
        region, municipality = regions.find(application.municipality)
    except NotFound:
        raise InvalidApplication(f"unknown municipality '{application.municipality}'",
                                 field="municipality") from None
    network = network_keyring(settings.keyring)
    async with uow.transaction() as conn:
        earlier = await store.application_of(conn, application.submission_id)
        if earlier is not None:
            return Applied.model_validate({"agent_id": earlier["agent_id"], "status": earlier["status"],
                                           "confirm_by": earlier["confirm_expires_at"]}), False
        when = await store.moment(conn, at)
        found = await store.campaign_for_update(conn, region.id, when)
        if found is None:
            raise RecruitmentNotOpen("the region's recruitment has not opened", region=region.id)
        campaign_id, campaign = found
        if campaign.state(when) is Recruitment.CLOSED:
            raise RecruitmentClosed("the recruitment has closed", region=region.id,
                                    closed_at=campaign.closes_at.isoformat())
        agent_id, data_key, token = uuid.uuid4(), new_data_key(), new_token()
        key = wrap_agent_key(network, agent_id, region.id, data_key)
        personal = seal_for_agent(data_key, agent_id, {
            "name": application.name, "email": application.email, "phone": application.phone,
            "organisation": application.organisation, "why": application.why}, APPLIED_PERSONAL)
        expires = when + timedelta(days=settings.confirm_days)
        await store.insert_agent(
            conn, agent_id=agent_id, submission_id=application.submission_id, campaign_id=campaign_id,
            region=region.id, municipality=municipality.id, sector=application.sector,
            themes=list(application.themes), languages=list(application.languages), language=application.language,
            consent_version=settings.consent_version, applied_at=when,
            personal_json=personal.model_dump_json(), confirm_digest=token_digest(token),
            confirm_expires_at=expires, key=key)
        applied = new_network_event(
            AgentApplied, kind="agent", subject_id=agent_id, region=region.id, actor="agent", occurred_at=when,
            payload=AgentAppliedPayload(
                campaign_id=campaign_id, municipality=municipality.id, sector=application.sector,
                themes=tuple(application.themes), languages=tuple(application.languages),
                language=application.language, consent_version=settings.consent_version, personal=personal))
        mail_id = uuid.uuid4()
        # Asked for now, whatever time the application is recorded at (the demo clock's): a mail is sent when it is
        # asked for, and notify lets a mail requested long ago expire.
        mail = new_network_event(
            MailRequested, kind="agent", subject_id=agent_id, region=region.id, actor="network",
            occurred_at=await store.moment(conn, None),
            correlation_id=applied.correlation_id,
            payload=MailRequestedPayload(mail_id=mail_id, kind="network_confirm", language=application.language,
                                         content=seal_for_agent(data_key, agent_id, {
                                             "to": application.email,
                                             "link": confirm_link(settings, token, application.language)},
                                             MAIL_CONTENT)))
        await store.publish_key(conn, network_keys_topic(settings.topic_prefix, region.id), key)
        await store.publish(conn, network_topic(settings.topic_prefix, region.id), applied, mail)
    log.info("network.applied", region=region.id, agent_id=str(agent_id))
    return Applied(agent_id=agent_id, status="applied", confirm_by=expires), True


def personal_link(settings: NetworkSettings, token: str, lang: str) -> str:
    return f"{settings.network_url.rstrip('/')}/me/{token}?{urlencode({'lang': lang})}"


async def confirm(*, uow: UnitOfWork, settings: NetworkSettings, token: str, at: datetime | None = None) -> str:
    """Confirm the address behind a mailed link and mail the agent their personal link; the agent's language.
    NotFound for a used, expired or unknown link (the same answer for each: a link tells nothing of who applied)."""
    async with uow.transaction() as conn:
        when = await store.moment(conn, at)
        row = await store.confirm_agent(conn, token_digest(token[:100]), when)
        if row is None:
            raise NotFound("the link is not valid: used, expired or unknown")
        agent_id = row["agent_id"]
        assert isinstance(agent_id, uuid.UUID)
        region, lang = str(row["region"]), str(row["language"])
        data_key = await agent_store.data_key(conn, agent_id, settings.keyring)
        email = await store.agent_email(conn, agent_id, data_key)
        if data_key is None or email is None:
            raise NotFound("the link is not valid: used, expired or unknown")
        link_token = new_token()
        await agent_store.set_link(conn, agent_id, token_digest(link_token))
        confirmed = new_network_event(AgentConfirmed, kind="agent", subject_id=agent_id, region=region,
                                      actor="agent", occurred_at=when,
                                      payload=AgentConfirmedPayload(campaign_id=row["campaign_id"]))
        welcome = new_network_event(
            MailRequested, kind="agent", subject_id=agent_id, region=region, actor="network",
            occurred_at=await store.moment(conn, None),
            correlation_id=confirmed.correlation_id,
            payload=MailRequestedPayload(mail_id=uuid.uuid4(), kind="network_welcome", language=lang,
                                         content=seal_for_agent(data_key, agent_id, {
                                             "to": email, "link": personal_link(settings, link_token, lang)},
                                             MAIL_CONTENT)))
        await store.publish(conn, network_topic(settings.topic_prefix, region), confirmed, welcome)
    log.info("network.confirmed", region=region, agent_id=str(agent_id))
    return lang
