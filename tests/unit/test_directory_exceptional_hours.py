"""Exceptional opening hours: read from a PTV v11 bundle, carried by version 2 of the directory's record (a stored
version 1 record reads as one with none), and shown to the family for the coming weeks in their language."""

from __future__ import annotations

import json
from datetime import date

import pytest

from services.intake.service_channels import WEEKS_AHEAD, exceptional_lines, regular_lines, ways_of
from services.routing import ptv
from shared.applier import PoisonRecord, Record
from shared.directory import DirectoryRecord, DirectoryService, ExceptionalHours, Texts, read_record
from shared.directory_projection import directory_handler
from shared.regions import load_regions
from shared.settings import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
REGION = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]


@pytest.fixture(scope="module")
def service() -> DirectoryService:
    bundle = json.loads((FIXTURES / "ptv" / "bundle-exceptional-hours.json").read_text())
    [found] = ptv.directory_of(bundle, REGION)
    return found


def test_a_places_exceptional_days_are_read_with_their_dates_hours_and_notes(service: DirectoryService) -> None:
    [place] = service.channels.places
    assert [(e.day_from.isoformat(), e.day_to.isoformat(), e.closed, e.opens, e.closes, e.note.fi)
            for e in place.exceptions] == [
        ("2026-06-19", "2026-06-20", True, None, None, "Juhannus"),  # past ones are kept: the sync has no clock
        ("2026-12-24", "2026-12-26", True, None, None, "Joulu"),
        ("2026-12-31", "2026-12-31", False, "08:00", "14:00", "Uudenvuodenaatto"),
        ("2027-01-06", "2027-01-06", True, None, None, "Loppiainen"),  # no end in PTV: one day
        ("2027-01-12", "2027-01-12", False, "09:00", "15:00", "Henkilöstökoulutus iltapäivällä"),
    ]  # and the day that is open at no time PTV says is left out
    assert place.exceptions[1].note.sv == "Jul" and place.exceptions[3].note.en == "Epiphany"
    # The regular hours are as before: the weekly ones only.
    assert [(h.day_from, h.day_to, h.opens, h.closes) for s in place.hours for h in s.hours] == [
        ("monday", "thursday", "08:00", "16:00"), ("friday", None, "08:00", "14:00")]


def test_a_phones_exceptional_days_go_with_the_phone(service: DirectoryService) -> None:
    [phone] = service.channels.phones
    assert phone.number == "+358 2 2626 1600"
    assert [(e.day_from.isoformat(), e.closed, e.around_the_clock) for e in phone.exceptions] == [
        ("2026-12-23", False, True), ("2026-12-24", True, False)]


def test_a_changed_exception_changes_the_services_digest(service: DirectoryService) -> None:
    [place] = service.channels.places
    moved = place.model_copy(update={"exceptions": place.exceptions[:1]})
    other = service.model_copy(update={"channels": service.channels.model_copy(update={"places": (moved,)})})
    assert other.digest() != service.digest()


def test_an_exception_ends_on_or_after_its_first_day() -> None:
    with pytest.raises(ValueError, match="day_to"):
        ExceptionalHours(day_from=date(2026, 12, 24), day_to=date(2026, 12, 23), closed=True)


def test_a_stored_version_1_record_reads_as_version_2_with_no_exceptions() -> None:
    stored = (FIXTURES / "directory" / "service_upserted_v1.json").read_bytes()
    assert json.loads(stored)["schema_version"] == 1
    record = read_record(stored)
    assert record.schema_version == 2 and record.service is not None
    assert record.service.names.fi == "Perheneuvola" and record.service.electronic_referrals
    [phone], [place] = record.service.channels.phones, record.service.channels.places
    assert phone.exceptions == () and place.exceptions == () and place.street.sv == "Tahvovägen 7"
    assert [h.opens for s in phone.hours for h in s.hours] == ["08:00"]
    removed = read_record((FIXTURES / "directory" / "service_removed_v1.json").read_bytes())
    assert removed.schema_version == 2 and removed.service is None


def test_a_version_2_record_keeps_its_exceptions_on_the_wire(service: DirectoryService) -> None:
    record = DirectoryRecord(type="directory.service_upserted", region=REGION.id, service_id=service.id,
                             at="2026-12-01T08:00:00+00:00", service=service)  # type: ignore[arg-type]
    assert read_record(record.model_dump_json().encode()) == record
    with pytest.raises(ValueError):
        read_record(json.dumps({**json.loads(record.model_dump_json()), "schema_version": 3}).encode())


class Statements:
    def __init__(self) -> None:
        self.done: list[tuple[str, tuple[object, ...]]] = []

    async def execute(self, sql: str, *args: object) -> None:
        self.done.append((sql, args))


async def test_the_projection_applies_a_stored_version_1_record_and_refuses_an_unknown_version() -> None:
    stored = (FIXTURES / "directory" / "service_upserted_v1.json").read_bytes()
    handler, conn = directory_handler(REGION.id), Statements()
    key = json.loads(stored)["service_id"].encode()
    await handler(conn, Record(topic="t", partition=0, offset=0, key=key, value=stored))  # type: ignore[arg-type]
    [(sql, args)] = conn.done
    assert sql.startswith("INSERT INTO directory_services")
    kept = DirectoryService.model_validate_json(str(args[8]))
    assert kept.channels.places[0].exceptions == ()
    newer = json.dumps({**json.loads(stored), "schema_version": 9}).encode()
    with pytest.raises(PoisonRecord):
        await handler(conn, Record(topic="t", partition=0, offset=1, key=key, value=newer))  # type: ignore[arg-type]


def test_the_family_reads_the_coming_weeks_exceptions_in_their_language(service: DirectoryService) -> None:
    [place] = service.channels.places
    today = date(2026, 12, 14)
    fi = exceptional_lines(place.exceptions, "fi", today)
    assert [(line.text, line.note.text if line.note else None) for line in fi] == [
        ("to 24.12.–la 26.12. suljettu", "Joulu"), ("to 31.12. 8.00–14.00", "Uudenvuodenaatto"),
        ("ke 6.1. suljettu", "Loppiainen")]  # 12 January is over four weeks ahead; June is past
    assert WEEKS_AHEAD == 4
    sv = exceptional_lines(place.exceptions, "sv", today)
    assert sv[0].text == "tors 24 dec.–lör 26 dec. stängt" and sv[0].note is not None and sv[0].note.text == "Jul"
    # No Swedish note for New Year's Eve: the Finnish one, marked as Finnish.
    assert sv[1].note is not None and (sv[1].note.text, sv[1].note.lang) == ("Uudenvuodenaatto", "fi")
    en = exceptional_lines(place.exceptions, "en", today)
    assert en[1].text == "Thu 31 Dec 08:00–14:00"  # British English, as the pages' dates
    # A day inside a run of days still shows the run.
    assert exceptional_lines(place.exceptions, "fi", date(2026, 12, 25))[0].text.startswith("to 24.12.")
    assert exceptional_lines(place.exceptions, "fi", date(2027, 3, 1)) == []


def test_the_family_reads_every_way_to_reach_the_service(service: DirectoryService) -> None:
    ways = ways_of(service, "sv", date(2026, 12, 21))
    [phone], [page], [place] = ways.phones, ways.pages, ways.places
    assert (phone.number, phone.tel) == ("+358 2 2626 1600", "tel:+358226261600")
    assert phone.description is not None and (phone.description.text, phone.description.lang) == ("Ajanvaraus", "fi")
    assert [line.text for line in phone.hours.regular] == ["mån–fre 9.00–12.00", "Återuppringning"]
    assert [line.text for line in phone.hours.exceptional] == ["ons 23 dec. öppet dygnet runt",
                                                               "tors 24 dec.–lör 26 dec. stängt"]
    assert page.url == "https://www.varha.fi/fi/palvelut/perheneuvola/raisio" and page.name.lang == "fi"
    assert place.name is not None and place.name.text == "Reso familjerådgivning"
    assert [a.text for a in place.address] == ["Tahvovägen 7", "21200 Reso"]
    assert [line.text for line in regular_lines(service.channels.places[0].hours, "fi")] == [
        "ma–to 8.00–16.00", "pe 8.00–14.00"]
    assert not ways_of(service.model_copy(update={"channels": type(service.channels)()}), "fi", date(2026, 12, 21))
    assert ways_of(service, "en", date(2026, 12, 21)).places[0].name == ways_of(service, "fi", date(2026, 12, 21)
                                                                                ).places[0].name
    assert Texts(sv="Bara svenska").get("fi") == "Bara svenska"
