"""The PTV importer on recorded answers of the open API v11: paging, the services for families kept, a missing
language, a removed service, areas, channels; the YAML's local additions and what a sync publishes."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import ValidationError

from services.routing import directory_sync, ptv, ptv_client
from shared.directory import DirectoryService
from shared.regions import Region, ServiceEntry, load_regions
from shared.settings import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "ptv"
REGION = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
KEYS = {o.name: o.id for o in REGION.ptv.organizations} if REGION.ptv else {}
ORGS = {"county": KEYS["Varsinais-Suomen hyvinvointialue"], "turku": KEYS["Turun kaupunki"],
        "mll": KEYS["Mannerheimin Lastensuojeluliitto"], "parish": KEYS["Turun ja Kaarinan seurakuntayhtymä"]}


def recorded_api(asked: list[str]) -> httpx.MockTransport:
    """Answers as PTV did, from the recorded files: each organisation's pages, and the channels asked for."""
    by_org = {v: k for k, v in ORGS.items()}
    channels = {c["id"]: c for c in json.loads((FIXTURES / "service-channels.json").read_text())}

    def answer(request: httpx.Request) -> httpx.Response:
        url = urlsplit(str(request.url))
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        asked.append(f"{url.path}?{url.query}")
        if url.path == "/api/v11/Service/list/organization":
            page = FIXTURES / f"service-list-organization-{by_org[query['organizationId']]}-page{query['page']}.json"
            return httpx.Response(200, content=page.read_bytes()) if page.exists() else httpx.Response(404)
        if url.path == "/api/v11/ServiceChannel/list":
            return httpx.Response(200, json=[channels[i] for i in query["guids"].split(",") if i in channels])
        return httpx.Response(404)

    return httpx.MockTransport(answer)


@pytest.fixture(scope="module")
def fetched() -> tuple[dict[str, object], list[str]]:
    import asyncio

    asked: list[str] = []
    bundle = asyncio.run(ptv_client.fetch_bundle("https://api.palvelutietovaranto.suomi.fi", list(ORGS.values()),
                                                 transport=recorded_api(asked)))
    return bundle, asked


@pytest.fixture(scope="module")
def services(fetched: tuple[dict[str, object], list[str]]) -> dict[str, DirectoryService]:
    return {s.names.fi or "": s for s in ptv.directory_of(fetched[0], REGION)}


def test_every_page_of_each_organisation_is_read_and_then_the_channels(fetched) -> None:
    _, asked = fetched
    county = [a for a in asked if ORGS["county"] in a]
    assert [parse_qs(urlsplit(a).query)["page"] for a in county] == [["1"], ["2"], ["3"]]  # pageCount 3
    assert len([a for a in asked if ORGS["parish"] in a]) == 1  # one page: pageNumber 1 of pageCount 1
    channel_calls = [a for a in asked if a.startswith("/api/v11/ServiceChannel/list")]
    assert channel_calls and asked[-len(channel_calls):] == channel_calls  # the channels after every service
    assert len(fetched[0]["channels"]) == 10  # type: ignore[arg-type]


def test_only_published_services_for_families_with_children_in_the_region_are_kept(services) -> None:
    assert sorted(services) == ["Lapsiperheiden kotipalvelu", "Lasten ja nuorten puhelin", "Lastenneuvola",
                                "Nuorisopalvelut", "Perheasiain neuvottelukeskus", "Perheneuvola",
                                "Vanhempainpuhelin", "Varhaiskasvatus"]
    # Left out: for older people (KR1 only), for businesses (KR2), a deleted description, and an NGO's service
    # only in Oulu, which is not a municipality of this region.
    assert not {"Kotihoito ikäihmisille", "Yritysneuvonta", "Perhetyö (vanha kuvaus)", "Perhekahvila Oulussa"} & set(
        services)


def test_a_missing_language_stays_missing_and_reads_in_finnish(services) -> None:
    home_help = services["Lapsiperheiden kotipalvelu"]
    assert home_help.languages == ("fi",)
    assert (home_help.names.sv, home_help.names.en) == (None, None)
    assert home_help.names.get("sv") == "Lapsiperheiden kotipalvelu" and not home_help.names.has("sv")
    clinic = services["Lastenneuvola"]
    assert (clinic.names.sv, clinic.names.en) == ("Barnrådgivning", "Child health clinic")
    assert clinic.descriptions.get("sv").startswith("Barnrådgivningen följer")


def test_areas_become_the_regions_municipalities(services) -> None:
    assert services["Lastenneuvola"].municipalities == ()  # nationwide: every municipality of the region
    assert services["Perheasiain neuvottelukeskus"].municipalities == ("kaarina", "turku")
    assert services["Varhaiskasvatus"].serves("turku") and not services["Varhaiskasvatus"].serves("raisio")


def test_kinds_come_from_the_organisation_the_region_lists(services) -> None:
    assert services["Lastenneuvola"].kind == "county"
    assert services["Varhaiskasvatus"].kind == "municipal"
    assert services["Lasten ja nuorten puhelin"].kind == "third_sector"
    assert services["Lasten ja nuorten puhelin"].organization.fi == "Mannerheimin Lastensuojeluliitto"


def test_channels_phones_with_hours_pages_and_places(services) -> None:
    clinic = services["Lastenneuvola"].channels
    assert [p.number for p in clinic.phones] == ["+358 2 2626 1500"]
    phone = clinic.phones[0]
    assert phone.description.sv == "Tidsbokning och rådgivning"
    assert [(h.day_from, h.day_to, h.opens, h.closes) for h in phone.hours[0].hours] == [
        ("monday", "friday", "08:00", "15:00")]
    assert phone.hours[0].note.fi == "Takaisinsoittopalvelu"
    assert [w.url for w in clinic.web_pages] == ["https://www.varha.fi/fi/palvelut/lapsiperheet"]
    place = clinic.places[0]
    assert (place.street.fi, place.street.sv, place.postal_code, place.post_office.sv, place.municipality) == (
        "Tahvontie 7", "Tahvovägen 7", "21200", "Reso", "raisio")
    helpline = services["Lasten ja nuorten puhelin"].channels.phones[0]
    assert [(h.day_from, h.day_to) for s in helpline.hours for h in s.hours] == [
        ("monday", "friday"), ("saturday", "sunday")]


def test_an_unpublished_channel_is_left_out(fetched) -> None:
    bundle = json.loads(json.dumps(fetched[0]))
    for channel in bundle["channels"]:
        channel["publishingStatus"] = "Deleted"
    clinic = next(s for s in ptv.directory_of(bundle, REGION) if s.names.fi == "Lastenneuvola")
    assert clinic.channels.phones == () and clinic.channels.places == ()


def test_local_additions_hide_a_ptv_service_and_add_the_regions_own(fetched) -> None:
    merged = {s.id: s for s in directory_sync.merge(ptv.directory_of(fetched[0], REGION), REGION)}
    hidden = [s for s in merged.values() if s.hidden]
    assert [s.names.fi for s in hidden] == ["Lapsiperheiden kotipalvelu"] and hidden[0].source == "ptv"
    own = merged["perheneuvola"]
    assert (own.source, own.kind, own.names.sv) == ("local", "county", "Familjerådgivning")
    assert [w.url for w in own.channels.web_pages] == ["https://www.varha.fi"]
    kept_text = merged["varhaiskasvatus"]
    assert kept_text.channels.web_pages == () and kept_text.descriptions.fi and "office" in kept_text.descriptions.fi


def test_a_sync_publishes_only_what_changed_and_removes_what_is_gone(fetched) -> None:
    services = directory_sync.merge(ptv.directory_of(fetched[0], REGION), REGION)
    first = directory_sync.plan({}, services)
    assert len(first.upserts) == len(services) and first.removals == []
    published = {s.id: s.digest() for s in services}
    assert directory_sync.plan(published, services).upserts == []
    changed = [s.model_copy(update={"hidden": not s.hidden}) if s.id == "perheneuvola" else s for s in services]
    later = directory_sync.plan(published, [s for s in changed if s.names.fi != "Vanhempainpuhelin"])
    gone = next(s.id for s in services if s.names.fi == "Vanhempainpuhelin")
    assert [s.id for s in later.upserts] == ["perheneuvola"] and later.removals == [gone]
    assert later.unchanged == len(services) - 2


def test_a_region_without_ptv_has_only_its_own_services() -> None:
    region = REGION.model_copy(update={"ptv": None})
    assert ptv.directory_of({"organizations": {}, "channels": []}, region) == []


def test_a_yaml_service_is_whole_or_names_a_ptv_service() -> None:
    with pytest.raises(ValidationError, match="needs kind, name, contact, languages"):
        ServiceEntry.model_validate({"id": "x"})
    addition = ServiceEntry.model_validate({"id": "x", "ptv_id": "761aa7f6-61b2-5d24-ad90-f61b6e57872f",
                                            "hidden": True})
    assert addition.hidden and addition.name is None
    with pytest.raises(ValidationError, match="ptv_id"):
        ServiceEntry.model_validate({"id": "x", "ptv_id": "not-an-id"})
    assert all(s.id != "x" for s in Region.model_validate(
        {**REGION.model_dump(), "services": [addition.model_dump()]}).local_services)


def test_the_recorded_demo_bundles_give_each_region_a_directory() -> None:
    regions = load_regions(ROOT / "deploy" / "regions")
    for region in regions:
        bundle = json.loads((ROOT / "deploy" / "demo" / "ptv" / f"{region.id}.json").read_text())
        services = ptv.directory_of(bundle, region)
        assert len(services) >= 5 and all(s.region == region.id and s.source == "ptv" for s in services)


def test_a_bundle_names_its_channels_once(fetched) -> None:
    ids = ptv.channel_ids(fetched[0]["organizations"])  # type: ignore[arg-type]
    assert len(ids) == len(set(ids)) == 10
