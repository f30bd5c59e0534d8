"""Every service's /metrics for Prometheus: request rates by route, consumer lag, outbox depth, its own figures."""

from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.monitoring_support import alert_queries, dashboard_queries, exposed_names, kafka_metric_names, metric_names
from tests.support import APPS, eventually, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and labels (parsed by prometheus_client's own parser)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


async def test_each_service_exports_rates_lag_outbox_and_its_own_figures(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {name: APPS[name](settings_for(name, **env)) for name in APPS}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, \
            running(apps["notify"]) as notify, running(apps["reporting"]) as reporting:
        await staff(routing, apps["routing"])
        secret = "METRIIKKA-SALAISUUS"
        created = []
        for _ in range(3):
            response = await intake.post("/api/v1/requests", json=request_body(
                "rusko", message=f"{secret} lapsi ei nuku", contact={"method": "phone", "phone": "+358 40 111 2222"}))
            assert response.status_code == 201, response.text
            created.append(response.json())
        assert (await intake.post("/api/v1/requests", json={"municipality": "rusko"})).status_code == 422

        async def in_routing() -> dict | None:
            found = samples((await routing.get("/metrics")).text)
            return found if value(found, "apua_open_cases", region="varsinais-suomi", risk="ok") == 3 else None

        found = await eventually(in_routing, what="routing's metrics to count three open cases")
        assert value(found, "apua_open_cases", region="varsinais-suomi", risk="overdue") == 0
        assert value(found, "apua_open_cases", region="pohjois-pohjanmaa", risk="ok") == 0
        assert value(found, "apua_consumer_applied_total", service="routing") >= 3
        assert (await routing.get(f"/api/v1/cases/{created[0]['case_id']}")).status_code == 200
        found = samples((await routing.get("/metrics")).text)
        # The route's template, never the path with the case's id in it.
        assert value(found, "apua_http_requests_total", method="GET", route="/api/v1/cases/{case_id}",
                     status="200") == 1

        exposed = {name: (await client.get("/metrics")) for name, client in
                   (("intake", intake), ("routing", routing), ("notify", notify), ("reporting", reporting))}
        for name, response in exposed.items():
            assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
            text = response.text
            assert secret not in text and "111 2222" not in text and "1112222" not in text, name
            assert not any(c["reference"] in text or c["case_id"] in text for c in created), name
            assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text), name
        at_intake = samples(exposed["intake"].text)
        assert value(at_intake, "apua_http_requests_total", method="POST", route="/api/v1/requests",
                     status="201") == 3
        assert value(at_intake, "apua_http_requests_total", method="POST", route="/api/v1/requests",
                     status="422") == 1
        assert value(at_intake, "apua_http_request_duration_seconds_count", method="POST",
                     route="/api/v1/requests") == 4
        assert value(at_intake, "apua_outbox_depth") is not None
        for name in ("routing", "notify", "reporting"):
            lags = [v for (metric, _), v in samples(exposed[name].text).items() if metric == "apua_consumer_lag"]
            assert lags and all(v >= 0 for v in lags), name
        at_notify = samples(exposed["notify"].text)
        assert value(at_notify, "apua_notifications_waiting", status="retry") is not None
        assert value(at_notify, "apua_notifications_sent_total", service="notify") is not None


async def test_every_metric_the_dashboards_and_alerts_name_is_in_a_real_scrape(postgres, kafka, prefix):
    """The monitoring as code (deploy/k8s/components/monitoring) reads only what the four services export:
    their /metrics scraped while they run, after a request, a staff page and a projected event, so that
    every family of samples (histogram buckets too) has appeared. The standard process and garbage-collector
    metrics are in every service's scrape."""
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {name: APPS[name](settings_for(name, **env)) for name in APPS}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, \
            running(apps["notify"]) as notify, running(apps["reporting"]) as reporting:
        await staff(routing, apps["routing"])
        response = await intake.post("/api/v1/requests", json=request_body("rusko"))
        assert response.status_code == 201, response.text
        clients = {"intake": intake, "routing": routing, "notify": notify, "reporting": reporting}

        async def scraped() -> dict[str, set[str]] | None:
            names = {}
            for name, client in clients.items():
                answer = await client.get("/metrics")
                assert answer.status_code == 200, name
                names[name] = exposed_names(text_string_to_metric_families(answer.text))
            lags = [name for name in ("routing", "notify", "reporting") if "apua_consumer_lag" not in names[name]]
            return None if lags else names

        names = await eventually(scraped, what="every consumer to report its lag")
    for service, exported in names.items():
        missing = {"process_resident_memory_bytes", "process_cpu_seconds_total", "process_start_time_seconds",
                   "process_open_fds", "python_gc_collections_total", "python_info"} - exported
        assert not missing, f"{service} does not export {sorted(missing)}"
    everything = set().union(*names.values())
    for where, expr in dashboard_queries().items():
        absent = metric_names(expr) - everything
        assert not absent, f"{where} reads {sorted(absent)}, which no service exports"
    kafka_side = kafka_metric_names() | {"up"}  # the brokers' and Prometheus's own
    for alert, expr in alert_queries().items():
        absent = metric_names(expr) - everything - kafka_side
        assert not absent, f"{alert} reads {sorted(absent)}, which no service exports"
    # The check can fail: a name nobody exports is not in the scrape.
    assert "apua_http_requets_total" not in everything
