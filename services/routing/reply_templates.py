"""Reply templates: what a template holds, how an edit is decided, and the order a case's reply box offers them.

Pure: no I/O, no clock. A template is a staff text in one language (fi, sv or en) with a title and, when it
fits one kind of matter, a topic. The store (``template_store``) keeps them; this module says what they are.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import Conflict, NotFound
from shared.events import Language, Topic
from shared.i18n import LANGS
from shared.replytemplates import ReplyTemplateRecord
from shared.text import Text, TextLine

MAX_TITLE = 120
MAX_TEXT = 4000  # the reply box takes as much


class TemplateFields(BaseModel):
    """What a coordinator writes: the same model for the API's body and the templates page's form."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    language: Language = Field(description="the language of the text: fi, sv or en")
    title: TextLine = Field(min_length=1, max_length=MAX_TITLE, description="what staff pick it by")
    text: Text = Field(min_length=1, max_length=MAX_TEXT, description="what goes into the reply box")
    topic: Topic | None = Field(default=None, description="the kind of matter it fits, or none for any")


class TemplateEdit(TemplateFields):
    """An edit: the fields, and the version the person saw."""

    expected_version: int = Field(ge=1, description="the version you saw; 409 if someone changed it since")


def created(fields: TemplateFields, *, template_id: uuid.UUID, region: str, by: str, at: datetime
            ) -> ReplyTemplateRecord:
    """The first version of a new template."""
    return ReplyTemplateRecord(template_id=template_id, region=region, version=1, updated_at=at, updated_by=by,
                               **fields.model_dump())


def check_current(current: ReplyTemplateRecord | None, *, region: str, expected_version: int
                  ) -> ReplyTemplateRecord:
    """The template to change: another region's or a removed one is not found; a changed one is a conflict."""
    if current is None or current.region != region:
        raise NotFound("no such template")
    if current.version != expected_version:
        raise Conflict("someone changed this template meanwhile; look at it again and retry",
                       current_version=current.version)
    return current


def edited(current: ReplyTemplateRecord, fields: TemplateFields, *, by: str, at: datetime) -> ReplyTemplateRecord:
    """The next version of ``current`` with the fields as now written."""
    return current.model_copy(update={**fields.model_dump(), "version": current.version + 1, "updated_at": at,
                                      "updated_by": by})


def offer_order(templates: Iterable[ReplyTemplateRecord], *, language: str, topic: str | None
                ) -> list[ReplyTemplateRecord]:
    """The order a case's reply box offers templates in.

    The case's language first, then the others (fi, sv, en); within a language those made for the case's
    topic first, then those for any matter, then those for other topics; by title within each.
    """
    def rank(template: ReplyTemplateRecord) -> tuple[int, int, str]:
        lang_rank = 0 if template.language == language else 1 + LANGS.index(template.language)
        if template.topic is None:
            topic_rank = 1
        else:
            topic_rank = 0 if template.topic == topic else 2
        return lang_rank, topic_rank, template.title.casefold()

    return sorted(templates, key=rank)


def by_language(ordered: Iterable[ReplyTemplateRecord]) -> list[tuple[str, list[ReplyTemplateRecord]]]:
    """Templates grouped by language, each group where its first template stands in ``ordered``."""
    groups: dict[str, list[ReplyTemplateRecord]] = {}
    for template in ordered:
        groups.setdefault(template.language, []).append(template)
    return list(groups.items())
