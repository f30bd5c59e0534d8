"""Referring to a directory service (the pure rule), and how a service's hours and picker line read."""

from __future__ import annotations

import pytest

from services.routing.decisions import CloseCase, ReferCase, decide, offered_kind
from services.routing.directory_view import channels_view, hours_line, pick_of
from services.routing.domain import CaseState, evolve, initial_state
from shared.applier import PoisonRecord, Record
from shared.directory import Channels, DirectoryRecord, DirectoryService, Hours, Phone, ServiceHours, Texts
from shared.directory_projection import directory_handler
from shared.errors import InvalidCommand
from shared.events import new_event
from shared.regions import load_regions
from shared.sealing import Sealed
from shared.settings import ROOT
from tests.support import request_event

REGION = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
PTV_ID = "0b7e52a4-8a0c-5d0c-9f33-1a0b5c7d9e21"


def listed(kind: str) -> DirectoryService:
    return DirectoryService(id=PTV_ID, region=REGION.id, source="ptv", kind=kind,  # type: ignore[arg-type]
                            names=Texts(fi="Perheiden palvelu"), languages=("fi",))


def refer(service_id: str) -> ReferCase:
    return ReferCase(service_id=service_id, consent="spoken", note="Perhe toivoo soittoa.")


def run(state: CaseState, command: object, directory: dict[str, DirectoryService]) -> CaseState:
    seal = lambda *a: Sealed(nonce="bm9uY2U=", ciphertext="eA==")  # noqa: E731
    for cls, payload in decide(state, command, region=REGION, teams=set(), seal=seal,  # type: ignore[arg-type]
                               team_of=lambda _: None, directory=directory):
        state = evolve(state, new_event(cls, case_id=state.case_id, region=state.region,
                                        municipality=state.municipality, actor="staff:t", payload=payload))
    return state


def test_a_case_is_referred_to_a_service_the_directory_offers() -> None:
    state = initial_state(request_event())
    with pytest.raises(InvalidCommand, match="directory"):
        run(state, refer(PTV_ID), {})
    referred = run(state, refer(PTV_ID), {PTV_ID: listed("third_sector")})
    assert referred.referred_to == PTV_ID
    # Closing names the service the case was referred to even when the directory no longer offers it.
    closed = run(referred, CloseCase(outcome="referred"), {})
    assert (closed.outcome, closed.referred_to) == ("referred", PTV_ID)
    with pytest.raises(InvalidCommand, match="directory"):
        run(state, CloseCase(outcome="referred", referred_to=PTV_ID), {})


def test_the_yamls_own_services_are_offered_unless_hidden() -> None:
    assert offered_kind("perheneuvola", REGION, None) == "county"
    hidden = REGION.model_copy(update={"services": [s.model_copy(update={"hidden": True}) if s.id == "perheneuvola"
                                                    else s for s in REGION.services]})
    assert offered_kind("perheneuvola", hidden, None) is None
    assert offered_kind(PTV_ID, REGION, {PTV_ID: listed("county")}) == "county"


def test_opening_hours_read_in_each_language() -> None:
    weekdays = Hours(day_from="monday", day_to="friday", opens="08:00", closes="16:30")
    assert hours_line(weekdays, "fi") == "ma–pe 8.00–16.30"
    assert hours_line(weekdays, "sv") == "mån–fre 8.00–16.30"
    assert hours_line(Hours(day_from="sunday", closed=True), "sv") == "sön stängt"


def service(**changes: object) -> DirectoryService:
    base = DirectoryService(
        id=PTV_ID, region=REGION.id, source="ptv", kind="county", names=Texts(fi="Perheneuvola"),
        organization=Texts(fi="Varsinais-Suomen hyvinvointialue"), languages=("fi",), municipalities=("raisio",),
        channels=Channels(phones=(Phone(number="+358 2 123", description=Texts(fi="Ajanvaraus"),
                                        hours=(ServiceHours(hours=(Hours(day_from="monday", opens="09:00",
                                                                         closes="11:00"),)),)),)))
    return base.model_copy(update=changes)


def test_a_service_shown_in_swedish_says_when_its_own_words_are_finnish() -> None:
    view = channels_view(service(), "sv")
    assert view.language_missing and view.name == "Perheneuvola"
    assert view.phones == [("+358 2 123", "tel:+3582123", "Ajanvaraus", ["mån 9.00–11.00"])]
    assert pick_of(service(), REGION, "sv").detail == "Varsinais-Suomen hyvinvointialue · Reso"
    assert pick_of(service(municipalities=()), REGION, "fi").detail.endswith("koko alue")


def test_a_changed_service_has_another_digest_and_a_removal_carries_no_service() -> None:
    assert service().digest() == service().digest() != service(hidden=True).digest()
    removal = DirectoryRecord(type="directory.service_removed", region=REGION.id, service_id=PTV_ID,
                              at="2026-12-01T08:00:00+00:00")  # type: ignore[arg-type]
    assert removal.service is None and DirectoryRecord.model_validate_json(removal.model_dump_json()) == removal


class Statements:
    """A connection that records what the handler runs."""

    def __init__(self) -> None:
        self.done: list[tuple[str, tuple[object, ...]]] = []

    async def execute(self, sql: str, *args: object) -> str:
        self.done.append((sql.split()[0], args))
        return "OK"


def record(key: bytes | None, value: bytes | None) -> Record:
    return Record(topic="apua.varsinais-suomi.directory", partition=0, offset=0, key=key, value=value)


async def test_the_projection_upserts_a_service_and_deletes_it_on_a_removal_or_a_tombstone() -> None:
    handler = directory_handler(REGION.id)
    conn = Statements()
    upsert = DirectoryRecord(type="directory.service_upserted", region=REGION.id, service_id=PTV_ID,
                             at="2026-12-01T08:00:00+00:00", service=service())  # type: ignore[arg-type]
    await handler(conn, record(PTV_ID.encode(), upsert.model_dump_json().encode()))  # type: ignore[arg-type]
    verb, args = conn.done[-1]
    assert verb == "INSERT" and args[:5] == (REGION.id, PTV_ID, "ptv", "county", False)
    assert args[6] == ["raisio"] and "perheneuvola" in str(args[7])
    removal = upsert.model_copy(update={"type": "directory.service_removed", "service": None})
    await handler(conn, record(PTV_ID.encode(), removal.model_dump_json().encode()))  # type: ignore[arg-type]
    await handler(conn, record(PTV_ID.encode(), None))  # type: ignore[arg-type]
    assert [(v, a) for v, a in conn.done[1:]] == [("DELETE", (REGION.id, PTV_ID))] * 2


async def test_the_projection_refuses_a_record_under_another_key_or_region() -> None:
    handler = directory_handler(REGION.id)
    upsert = DirectoryRecord(type="directory.service_upserted", region="pohjois-pohjanmaa", service_id=PTV_ID,
                             at="2026-12-01T08:00:00+00:00", service=service())  # type: ignore[arg-type]
    for key, value in ((PTV_ID.encode(), upsert.model_dump_json().encode()), (b"other", b"{}"), (None, b"{}")):
        with pytest.raises(PoisonRecord):
            await handler(Statements(), record(key, value))  # type: ignore[arg-type]
