"""Reply templates, pure: what a template holds, how an edit is decided, the order a case's reply box offers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.routing.pages.case import chosen_template
from services.routing.reply_templates import (
    TemplateEdit,
    TemplateFields,
    by_language,
    check_current,
    created,
    edited,
    offer_order,
)
from shared.errors import Conflict, NotFound
from shared.replytemplates import ReplyTemplateRecord
from shared.topics import region_topics, templates_topic

AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
# A record as routing 1 published it on the templates topic: a reader must go on reading it.
STORED_V1 = (b'{"schema_version":1,"template_id":"5b0c1c3e-8d1a-4c8e-9a57-2f9d3c1b7e21","region":"varsinais-suomi",'
             b'"version":3,"language":"sv","title":"Familjer\\u00e5dgivning","text":"Hej! Ni kan boka en tid.",'
             b'"topic":"family_change","updated_at":"2026-12-01T08:15:00Z","updated_by":"kaisa"}')


def template(title: str, language: str, topic: str | None = None, region: str = "varsinais-suomi",
             version: int = 1) -> ReplyTemplateRecord:
    return ReplyTemplateRecord(template_id=uuid.uuid4(), region=region, version=version, language=language,
                               title=title, text=f"{title} …", topic=topic, updated_at=AT, updated_by="kaisa")


def test_the_case_language_comes_first_and_its_topic_first_within_it() -> None:
    offered = [template("Yleinen", "fi"), template("Allmän", "sv"), template("Tunteet", "fi", "child_emotions"),
               template("Känslor", "sv", "child_emotions"), template("Ero", "sv", "family_change"),
               template("General", "en"), template("Aaa annat ämne", "sv", "parent_coping")]
    order = offer_order(offered, language="sv", topic="child_emotions")
    assert [t.title for t in order] == ["Känslor", "Allmän", "Aaa annat ämne", "Ero", "Tunteet", "Yleinen",
                                        "General"]
    assert [lang for lang, _ in by_language(order)] == ["sv", "fi", "en"]
    # A case without a topic: templates for any matter before those made for one.
    assert [t.title for t in offer_order(offered, language="en", topic=None)][:2] == ["General", "Yleinen"]


def test_fields_are_checked_and_a_problem_names_its_field() -> None:
    fields = TemplateFields(language="sv", title="  Rådgivning ", text="Hej!\nVi ringer.", topic=None)
    assert fields.title == "Rådgivning"
    for bad, field in [({"title": ""}, "title"), ({"title": "x" * 121}, "title"), ({"text": "a\x00b"}, "text"),
                       ({"title": "\ud800"}, "title"),
                       ({"language": "de"}, "language"), ({"topic": "weather"}, "topic"),
                       ({"colour": "red"}, "colour"), ({"text": "   "}, "text")]:
        with pytest.raises(ValidationError) as caught:
            TemplateFields.model_validate({"language": "fi", "title": "Otsikko", "text": "Teksti", **bad})
        assert {str(e["loc"][0]) for e in caught.value.errors()} == {field}, bad
    with pytest.raises(ValidationError):
        TemplateEdit(language="fi", title="Otsikko", text="Teksti", expected_version=0)


def test_an_edit_is_the_next_version_and_only_of_the_version_seen() -> None:
    first = created(TemplateFields(language="fi", title="Otsikko", text="Teksti"), template_id=uuid.uuid4(),
                    region="varsinais-suomi", by="kaisa", at=AT)
    assert first.version == 1 and first.updated_by == "kaisa"
    current = check_current(first, region="varsinais-suomi", expected_version=1)
    second = edited(current, TemplateFields(language="sv", title="Rubrik", text="Text", topic="other"),
                    by="ville", at=AT)
    assert (second.version, second.language, second.title, second.topic, second.updated_by) == (
        2, "sv", "Rubrik", "other", "ville")
    assert second.template_id == first.template_id and second.region == first.region
    with pytest.raises(Conflict) as conflict:
        check_current(second, region="varsinais-suomi", expected_version=1)
    assert conflict.value.context == {"current_version": 2}
    with pytest.raises(NotFound):
        check_current(second, region="pohjois-pohjanmaa", expected_version=2)  # another region's: not there
    with pytest.raises(NotFound):
        check_current(None, region="varsinais-suomi", expected_version=2)  # removed, or never was


def test_a_stored_record_is_read_and_a_newer_one_is_refused() -> None:
    record = ReplyTemplateRecord.model_validate_json(STORED_V1)
    assert (record.language, record.title, record.topic, record.version) == ("sv", "Familjerådgivning",
                                                                             "family_change", 3)
    with pytest.raises(ValidationError):
        ReplyTemplateRecord.model_validate_json(STORED_V1.replace(b'"schema_version":1', b'"schema_version":2'))


def test_the_reply_box_starts_from_an_offered_template_only() -> None:
    offered = [template("Känslor", "sv"), template("Tunteet", "fi")]
    assert chosen_template(offered, str(offered[1].template_id).upper()) == offered[1]
    assert chosen_template(offered, str(uuid.uuid4())) is None  # another region's, or removed
    assert chosen_template(offered, "not-a-uuid") is None and chosen_template(offered, None) is None


def test_each_region_has_a_compacted_templates_topic() -> None:
    topics = {t.name: t for t in region_topics("apua", "varsinais-suomi", partitions=6, replication=3)}
    templates = topics[templates_topic("apua", "varsinais-suomi")]
    assert templates.name == "apua.varsinais-suomi.templates"
    assert templates.topic_configs == {"cleanup.policy": "compact", "min.insync.replicas": "2"}
