"""Linked cases: a duplicate and the case kept, or two related cases of a region (services/routing/links.py)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from shared.event_base import EventBase, Frozen


class CaseLinkedPayload(Frozen):
    kind: Literal["duplicate", "related"]
    side: Literal["duplicate", "kept", "related"] = Field(
        description="this case's end: a duplicate of the other, the case kept, or either end of a relation")
    other_case_id: uuid.UUID = Field(description="the other case, of the same region")


class CaseLinked(EventBase):
    """Staff linked two cases of a region: on both streams, each telling its end; who is the actor, as always."""

    type: Literal["case.linked"] = "case.linked"
    schema_version: Literal[1] = 1
    payload: CaseLinkedPayload


class CaseUnlinked(EventBase):
    """Staff undid a link while both cases were open; on both streams, like the link."""

    type: Literal["case.unlinked"] = "case.unlinked"
    schema_version: Literal[1] = 1
    payload: CaseLinkedPayload
