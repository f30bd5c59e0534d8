"""The dashboards after the projection moved on: the last cube of the region-year answers at once, with the time its
data was read, while a new one is built; then the new one answers, with the new request and a later time."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

import pytest

from services.reporting import rollup
from services.reporting.present import as_of_text
from shared.businessdays import HELSINKI
from tests.integration.test_reporting import (
    PERIOD,
    expected,
    publish,
    signed_in_reporting,
    submitted,
    the_year,
)
from tests.support import APPS, eventually, running, settings_for

pytestmark = pytest.mark.integration


async def test_the_last_cube_answers_while_the_next_is_built_and_every_answer_says_when(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    routing_app = APPS["routing"](settings_for("routing", **env))
    reporting_app = APPS["reporting"](settings_for("reporting", **env, stats_max_age_s=300))
    events = the_year()
    async with running(routing_app) as routing, running(reporting_app) as reporting:
        await publish(kafka, prefix, events)
        await signed_in_reporting(routing, reporting, routing_app)
        pool = reporting_app.state.runtime.pool

        def facts(n: int):
            async def check() -> bool:
                return await pool.fetchval("SELECT count(*) FROM case_facts") == n
            return check

        await eventually(facts(15), what="reporting to apply the year")
        first = (await reporting.get("/api/v1/tables/key_figures", params=PERIOD)).json()
        assert first["rows"][0][1] == expected(events, lambda e: True)
        read_at = datetime.fromisoformat(first["data_as_of"])
        assert abs((datetime.now(UTC) - read_at).total_seconds()) < 60

        # Another family writes; once reporting has applied it, the next answer does not wait for a new cube: the
        # last one answers, as of its own time, and one rebuild starts behind it.
        newcomer = submitted("turku", datetime(2026, 4, 20, 9, tzinfo=HELSINKI).astimezone(UTC))
        await publish(kafka, prefix, [newcomer])
        await eventually(facts(16), what="reporting to apply the new request")
        again = (await reporting.get("/api/v1/tables/key_figures", params=PERIOD)).json()
        assert again["data_as_of"] == first["data_as_of"] and again["rows"] == first["rows"]

        async def rebuilt() -> dict | None:
            body = (await reporting.get("/api/v1/tables/key_figures", params=PERIOD)).json()
            return body if body["data_as_of"] != first["data_as_of"] else None

        newer = await eventually(rebuilt, what="the rebuilt cube to answer")
        assert datetime.fromisoformat(newer["data_as_of"]) > read_at
        assert newer["rows"][0][1] == expected([*events, newcomer], lambda e: True)

        # A page says when its cube's data was read, in the reader's language.
        moment = datetime.fromisoformat(newer["data_as_of"])
        for lang, words in (("en", "Data as of"), ("fi", "Tiedot tilanteesta"), ("sv", "Uppgifterna gäller läget")):
            page = await reporting.get("/overview", params={**PERIOD, "lang": lang})
            assert page.status_code == 200
            assert escape(as_of_text(moment, lang)) in page.text and words in page.text, lang
    await rollup.STORE.settle()
