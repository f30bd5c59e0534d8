"""The service directory on real Kafka and PostgreSQL: a sync publishes it, routing, notify and reporting project
the same one, a second sync publishes nothing, a service gone from PTV is removed everywhere, a rebuild gives the
same directory; staff search it for a family and refer the case to a PTV service, whose channels the case shows."""

from __future__ import annotations

import argparse
import json
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from services.notify.projection import projection as notify_projection
from services.reporting.projection import projection as reporting_projection
from services.routing import directory_admin
from services.routing.projection import projection as routing_projection
from shared.businessdays import HELSINKI
from shared.rebuild import rebuild
from shared.settings import ROOT
from shared.topics import directory_topic
from tests.integration.test_reporting import signed_in_reporting
from tests.support import APPS, eventually, read_topic, request_body, running, settings_for, staff, table_rows

pytestmark = pytest.mark.integration
CONSENTED = {"consent": "spoken", "note": "Perhe toivoo soittoa iltaisin"}  # a referral needs both
REGION = "varsinais-suomi"
BUNDLE = ROOT / "deploy" / "demo" / "ptv" / f"{REGION}.json"
SERVICES = 13  # the bundle's eight services for families (one of them hidden by the YAML) and the YAML's five


def sync_args(path: Path) -> argparse.Namespace:
    return argparse.Namespace(what="directory", action="sync", region=REGION, from_file=path, save=None)


def without(path: Path, name_fi: str, into: Path) -> Path:
    """The bundle as PTV would answer once the organisation removed a service."""
    bundle = json.loads(path.read_text())
    for pages in bundle["organizations"].values():
        for page in pages:
            page["itemList"] = [s for s in page["itemList"]
                                if all(n["value"] != name_fi for n in s["serviceNames"])]
    into.write_text(json.dumps(bundle))
    return into


async def directory_of(dsn: str, schema: str) -> dict[str, Any]:
    rows = await table_rows(dsn, schema, "directory_services", "service_id")
    return {r["service_id"]: (r["hidden"], json.loads(r["service"])) for r in rows if r["region"] == REGION}


@pytest.fixture
async def apps(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    made = {name: APPS[name](settings_for(name, **env, **({"deadline_check_s": 3600} if name == "routing" else {})))
            for name in ("intake", "routing", "notify", "reporting")}
    async with AsyncExitStack() as stack:
        clients = {name: await stack.enter_async_context(running(app)) for name, app in made.items()}
        yield made, clients


async def test_a_sync_publishes_and_every_service_projects_the_same_directory(apps, postgres, kafka, prefix,
                                                                              tmp_path):
    made, _ = apps
    settings = made["routing"].state.runtime.settings
    said = await directory_admin.run(sync_args(BUNDLE), settings)
    assert said.endswith(f"{SERVICES} services, {SERVICES} published, 0 removed, 0 unchanged"), said
    records = await read_topic(kafka.bootstrap, directory_topic(prefix, REGION), expected=SERVICES)
    assert len(records) == SERVICES
    assert {dict(r.headers)["type"] for r in records} == {b"directory.service_upserted"}
    schemas = {name: app.state.runtime.projection_schema for name, app in made.items() if name != "intake"}

    async def all_three() -> dict[str, Any] | None:
        seen = {name: await directory_of(postgres.dsn, schema) for name, schema in schemas.items()}
        counts = {len(d) for d in seen.values()}
        return seen if counts == {SERVICES} else None

    seen = await eventually(all_three, what="routing, notify and reporting to project the directory")
    assert seen["routing"] == seen["notify"] == seen["reporting"]
    clinic = next(s for _, s in seen["routing"].values() if s["names"]["fi"] == "Lastenneuvola")
    assert clinic["channels"]["phones"][0]["number"] == "+358 2 2626 1500" and clinic["source"] == "ptv"
    assert [s["names"]["fi"] for hidden, s in seen["routing"].values() if hidden] == ["Lapsiperheiden kotipalvelu"]

    again = await directory_admin.run(sync_args(BUNDLE), settings)
    assert again.endswith("0 published, 0 removed, 13 unchanged"), again

    gone_id = next(i for i, (_, s) in seen["routing"].items() if s["names"]["fi"] == "Vanhempainpuhelin")
    removed = await directory_admin.run(sync_args(without(BUNDLE, "Vanhempainpuhelin", tmp_path / "b.json")),
                                        settings)
    assert removed.endswith("0 published, 1 removed, 12 unchanged"), removed
    records = await read_topic(kafka.bootstrap, directory_topic(prefix, REGION), expected=SERVICES + 2)
    tail = [(r.key.decode(), dict(r.headers)["type"], r.value is None) for r in records[SERVICES:]]
    assert tail == [(gone_id, b"directory.service_removed", False), (gone_id, b"directory.service_removed", True)]

    async def removed_everywhere() -> bool:
        left = [await directory_of(postgres.dsn, schema) for schema in schemas.values()]
        return all(gone_id not in d and len(d) == SERVICES - 1 for d in left)

    await eventually(removed_everywhere, what="the removed service to leave every projection")

    for name, projection in (("routing", routing_projection), ("notify", notify_projection),
                             ("reporting", reporting_projection)):
        runtime = made[name].state.runtime
        live = await directory_of(postgres.dsn, runtime.projection_schema)
        proj = projection(runtime)
        result = await rebuild(dsn=postgres.dsn, service_schema=runtime.settings.db_schema,
                               projection_schema=runtime.projection_schema, bootstrap=kafka.bootstrap,
                               topics=runtime.projection_topics(proj), projection=proj)
        assert result.swapped
        assert await directory_of(postgres.dsn, runtime.projection_schema) == live, name


async def test_staff_find_services_for_the_family_and_refer_the_case(apps, postgres):
    made, clients = apps
    routing, intake = clients["routing"], clients["intake"]
    await directory_admin.run(sync_args(BUNDLE), made["routing"].state.runtime.settings)
    await staff(routing, made["routing"])

    async def synced() -> bool:
        return len(await directory_of(postgres.dsn, made["routing"].state.runtime.projection_schema)) == SERVICES

    await eventually(synced, what="routing to project the directory")

    async def names(**params: str) -> list[str]:
        answer = await routing.get("/api/v1/directory", params=params)
        assert answer.status_code == 200, answer.text
        return [s["name"] for s in answer.json()["services"]]

    in_turku = await names(q="varhais", municipality="turku", language="fi")
    in_raisio = await names(q="varhais", municipality="raisio", language="fi")
    assert in_turku.count("Varhaiskasvatus") == 2 and in_raisio == ["Varhaiskasvatus"]  # the YAML's, region-wide
    assert "Lapsiperheiden kotipalvelu" in await names(q="kotipalvelu", language="fi")  # the YAML's own entry...
    assert len(await names(q="kotipalvelu", language="fi")) == 1  # ... and PTV's duplicate is hidden
    assert "Barnrådgivning" in await names(q="", municipality="raisio", language="sv", lang="sv", limit="50")
    # In English: only PTV's services given in English and serving Raisio (the YAML's are in Finnish and Swedish).
    assert await names(q="", municipality="raisio", language="en", lang="en") == [
        "Child health clinic", "Helpline for children and young people"]
    assert "Lasten ja nuorten puhelin" in await names(q="puhelin lasten", language="fi")
    assert await names(q="neuvola puhelin", language="fi") == []  # every word must match
    for params, field in (({"municipality": "oulu"}, "municipality"), ({"language": "de"}, "language"),
                          ({"limit": "0"}, "limit")):
        bad = await routing.get("/api/v1/directory", params=params)
        assert bad.status_code == 422 and [f["field"] for f in bad.json()["fields"]] == [field], bad.text
    nul = await routing.get("/api/v1/directory", params={"q": "neuvola\x00"})
    assert nul.status_code == 422 and [f["field"] for f in nul.json()["fields"]] == ["q"]

    case = (await intake.post("/api/v1/requests", json=request_body("raisio"))).json()
    case_id = case["case_id"]

    async def opened() -> bool:
        return (await routing.get(f"/api/v1/cases/{case_id}")).status_code == 200

    await eventually(opened, what="the case in routing")
    picks = (await routing.get("/api/v1/directory", params={"q": "lastenneuvola", "municipality": "raisio",
                                                             "language": "fi"})).json()["services"]
    clinic = next(p for p in picks if p["name"] == "Lastenneuvola" and "hyvinvointialue" in p["detail"])
    hidden_id = next(i for i, (h, _) in (await directory_of(
        postgres.dsn, made["routing"].state.runtime.projection_schema)).items() if h)
    version = (await routing.get(f"/api/v1/cases/{case_id}")).json()["command_version"]
    refused = await routing.post(f"/api/v1/cases/{case_id}/commands", json={
        "command": "refer", "expected_version": version, "arguments": {"service_id": hidden_id, **CONSENTED}})
    assert refused.status_code == 422 and "service" in refused.text, refused.text
    referred = await routing.post(f"/api/v1/cases/{case_id}/commands", json={
        "command": "refer", "expected_version": version, "arguments": {"service_id": clinic["id"], **CONSENTED}})
    assert referred.status_code == 200, referred.text

    page = (await routing.get(f"/cases/{case_id}")).text
    assert "Palvelun yhteystiedot: Lastenneuvola" in page and 'href="tel:+358226261500"' in page
    assert "Tahvontie 7" in page and "ma–pe 8.00–16.00" in page
    # Without JavaScript the search form reloads the page with the matches as the form's choices.
    searched = (await routing.get(f"/cases/{case_id}", params={"service_q": "perheneuvola"})).text
    assert searched.count('name="service_id" value=') == 2  # PTV's Perheneuvola and the YAML's
    assert 'value="perheneuvola"' in searched
    nothing = await routing.get(f"/cases/{case_id}", params={"service_q": "perhe\x00"})
    assert nothing.status_code == 200 and 'name="service_id" value=' not in nothing.text

    # The region's statistics name the PTV service the family was referred to, under its kind.
    await signed_in_reporting(routing, clients["reporting"], made["routing"])
    year = str(datetime.now(HELSINKI).year)

    async def counted() -> list[Any] | None:
        table = await clients["reporting"].get("/api/v1/tables/referrals",
                                               params={"region": REGION, "period": year, "lang": "fi"})
        assert table.status_code == 200, table.text
        rows = [r for r in table.json()["rows"] if r[1] == "Lastenneuvola"]
        return rows or None

    [row] = await eventually(counted, what="reporting to count the referral to PTV's clinic")
    assert row[0] == "Hyvinvointialueen palvelut", row  # the clinic is the county's
