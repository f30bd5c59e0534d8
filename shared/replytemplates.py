"""A region's reply templates on its compacted ``templates`` topic, keyed by template id.

Staff texts, not a family's data: nothing in them is sealed, but they are never logged either. Each
record is a template's whole latest version, so compaction keeps exactly what a rebuild needs; removing
a template is a tombstone. ``schema_version`` lets a later version of the record be upcast when read.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.events import Language, Topic

RECORD_TYPE = "reply_template"


class ReplyTemplateRecord(BaseModel):
    """One version of a template, as routing published it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    schema_version: Literal[1] = 1
    template_id: uuid.UUID
    region: str
    version: int = Field(ge=1, description="1 when created, one more with every edit")
    language: Language
    title: str
    text: str
    topic: Topic | None = None
    updated_at: AwareDatetime
    updated_by: str = Field(description="the staff account id that made this version")


def record_headers() -> list[tuple[str, str]]:
    """The headers a template record carries on the topic."""
    return [("type", RECORD_TYPE)]
