"""Calls to the family: a call scheduled, moved or cancelled, and the notice that they were not reached."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, Field

from shared.event_base import EventBase, Frozen


class CallbackScheduledPayload(Frozen):
    callback_id: uuid.UUID
    starts_at: AwareDatetime = Field(description="the start of the window in which staff call the family")
    ends_at: AwareDatetime
    caller: str | None = Field(default=None, description="the staff account id who calls; None: the case's team")
    replaces: uuid.UUID | None = Field(default=None, description="the callback this one moves to a new time")


class CallbackScheduled(EventBase):
    """Staff will call the family in a window; the family is told the time and the reference only."""

    type: Literal["callback.scheduled"] = "callback.scheduled"
    schema_version: Literal[1] = 1
    payload: CallbackScheduledPayload


class CallbackCancelledPayload(Frozen):
    callback_id: uuid.UUID


class CallbackCancelled(EventBase):
    """A scheduled call will not be made; the family is told once."""

    type: Literal["callback.cancelled"] = "callback.cancelled"
    schema_version: Literal[1] = 1
    payload: CallbackCancelledPayload


class NotReachedNoticePayload(Frozen):
    attempts: int = Field(ge=0, description="the unanswered contact attempts made before the notice")


class NotReachedNotice(EventBase):
    """'We tried to reach you; write again or read the status page': to the family, before closing unreached."""

    type: Literal["contact.not_reached_notice"] = "contact.not_reached_notice"
    schema_version: Literal[1] = 1
    payload: NotReachedNoticePayload
