"""Reporting's pure parts: publishing counts, facts from events, filters, formats and exports."""

from __future__ import annotations

import io
import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from starlette.datastructures import QueryParams

from services.reporting import export, filters
from services.reporting.auth import Viewer
from services.reporting.filters import parse_filters, period_choices, period_days, periods
from services.reporting.model import Column, Table
from services.reporting.present import fmt, report_sentences
from services.reporting.privacy import SUPPRESSED, noise, per_thousand, protect, record_key, share
from services.reporting.projection import facts_of_request, first_response, time_of_contact
from shared.businessdays import HELSINKI
from shared.errors import Forbidden, InvalidCommand, NotFound
from shared.http import safe_next
from shared.regions import load_regions
from shared.settings import ROOT
from shared.staffpass import InvalidPass, issue_pass, read_pass
from tests.support import request_event

REGIONS = load_regions(ROOT / "deploy" / "regions")
VIEWER = Viewer(account_id="eeva", role="manager", region="varsinais-suomi", language="fi", csrf="x")


def test_counts_under_five_are_hidden_zero_included() -> None:
    assert [protect(n, 12345) for n in range(5)] == [SUPPRESSED] * 5


def test_larger_counts_move_at_most_two_and_never_under_five() -> None:
    for n in range(5, 200):
        for key_sum in range(0, 1 << 16, 997):
            published = protect(n, key_sum)
            assert isinstance(published, int) and published >= 5 and abs(published - n) <= 2


def test_the_same_cases_always_get_the_same_number() -> None:
    secret = b"s"
    cases = [uuid.uuid4() for _ in range(40)]
    key_sum = sum(record_key(secret, c) for c in cases)
    assert protect(40, key_sum) == protect(40, sum(record_key(secret, c) for c in reversed(cases)))
    assert record_key(secret, cases[0]) == record_key(secret, cases[0])
    assert record_key(secret, cases[0]) != record_key(b"another region's key", cases[0])


def test_noise_has_the_designed_shape() -> None:
    shares = Counter(noise(k) for k in range(1 << 16))
    assert {v: round(n / (1 << 16), 2) for v, n in shares.items()} == {-2: 0.1, -1: 0.2, 0: 0.4, 1: 0.2, 2: 0.1}


def test_subtracting_filters_does_not_give_a_hidden_count_back() -> None:
    """The attack the perturbation is for: the region's total minus every other municipality.

    Without the offset the difference would always be the hidden count exactly; with it, the
    same difference comes from different hidden counts, so none of them can be told.
    """
    rng = random.Random(7)
    secret = b"region key"
    guesses: dict[int, Counter[int]] = {k: Counter() for k in range(1, 5)}
    for _ in range(400):
        hidden = rng.randint(1, 4)
        others = [rng.randint(5, 60) for _ in range(8)]
        cases = [[uuid.UUID(int=rng.getrandbits(128)) for _ in range(n)] for n in [hidden, *others]]
        keys = [sum(record_key(secret, c) for c in group) for group in cases]
        total = protect(sum(len(g) for g in cases), sum(keys))
        shown = [protect(len(g), k) for g, k in zip(cases[1:], keys[1:], strict=True)]
        assert protect(hidden, keys[0]) == SUPPRESSED
        assert isinstance(total, int) and all(isinstance(s, int) for s in shown)
        guesses[hidden][total - sum(s for s in shown if isinstance(s, int))] += 1
    for hidden, found in guesses.items():
        assert found[hidden] / sum(found.values()) < 0.35, (hidden, found)
    # Every guess an attacker could see is also what some other hidden count gives.
    for guess in guesses[2]:
        assert sum(guess in guesses[other] for other in (1, 3, 4)) >= 1


def test_shares_and_rates_only_from_published_counts() -> None:
    assert share(SUPPRESSED, 50) is None and share(10, SUPPRESSED) is None
    assert share(10, 40) == 25.0
    assert per_thousand(12, 1000) == 12.0 and per_thousand(SUPPRESSED, 1000) is None and per_thousand(9, None) is None


@pytest.mark.parametrize("local,expected", [
    (datetime(2026, 11, 23, 8, 0), "office"),
    (datetime(2026, 11, 23, 15, 59), "office"),
    (datetime(2026, 11, 23, 16, 0), "evening"),
    (datetime(2026, 11, 23, 22, 30), "night"),
    (datetime(2026, 11, 24, 3, 0), "night"),
    (datetime(2026, 11, 28, 12, 0), "weekend"),
    (datetime(2026, 12, 24, 12, 0), "holiday"),  # Christmas Eve, a Thursday
    (datetime(2026, 5, 14, 10, 0), "holiday"),  # Ascension Day
])
def test_time_of_contact(local: datetime, expected: str) -> None:
    assert time_of_contact(local.replace(tzinfo=HELSINKI)) == expected


def test_facts_of_a_request_hold_no_personal_data() -> None:
    event = request_event("varsinais-suomi", "raisio")
    facts = facts_of_request(event, b"k")
    assert facts["municipality"] == "raisio" and facts["anonymous"] is True and facts["topic"] is None
    local = event.occurred_at.astimezone(HELSINKI).date()
    assert facts["local_date"] == local and facts["month"] == local.replace(day=1) and facts["week"].weekday() == 0
    assert "personal" not in facts and all("testi" not in str(v) for v in facts.values())


def test_first_response_in_working_and_calendar_hours() -> None:
    friday_evening = datetime(2026, 11, 27, 20, 0, tzinfo=HELSINKI)
    monday_ten = datetime(2026, 11, 30, 10, 0, tzinfo=HELSINKI)
    assert first_response(friday_evening, monday_ten) == {"response_business_hours": 2.0,
                                                          "response_calendar_hours": 62.0}


def test_filters_are_the_region_or_one_municipality_and_a_year_or_a_month(monkeypatch) -> None:
    monkeypatch.setattr(filters, "today", lambda: date(2026, 11, 23))
    f = parse_filters(QueryParams(""), REGIONS, VIEWER)
    assert f.region.id == "varsinais-suomi" and f.municipalities == () and f.period == "2026"
    assert (f.since, f.until, f.month) == (date(2026, 1, 1), date(2026, 11, 23), None)  # the current one until today
    chosen = parse_filters(QueryParams("municipality=aura&municipality=aura&period=2025-02"), REGIONS, VIEWER)
    assert chosen.municipalities == ("aura",) and chosen.municipality == "aura" and chosen.period == "2025-02"
    assert (chosen.since, chosen.until) == (date(2025, 2, 1), date(2025, 2, 28))
    assert chosen.children is not None and chosen.children < f.children  # type: ignore[operator]
    assert parse_filters(QueryParams("period=2024"), REGIONS, VIEWER).until == date(2024, 12, 31)
    with pytest.raises(NotFound):
        parse_filters(QueryParams("region=lappi"), REGIONS, VIEWER)
    with pytest.raises(Forbidden):  # a region that exists, but is not the viewer's own
        parse_filters(QueryParams("region=pohjois-pohjanmaa"), REGIONS, VIEWER)
    with pytest.raises(NotFound):
        parse_filters(QueryParams("municipality=oulu"), REGIONS, VIEWER)  # not in Varsinais-Suomi
    for query, field, says in (
            ("municipality=aura&municipality=rusko", "municipality", "exactly one municipality"),
            ("since=2026-01-01", "since", "use period"), ("until=2026-03-31", "until", "use period"),
            ("topic=other", "topic", "no longer filtered by topic"), ("period=2026-13", "period", "a month like"),
            ("period=26", "period", "a year like"), ("period=2026-3", "period", "a year like"),
            ("period=2026-12", "period", "until now"), ("period=2027", "period", "until now"),
            ("period=2019", "period", "from 2020")):
        with pytest.raises(InvalidCommand) as raised:
            parse_filters(QueryParams(query), REGIONS, VIEWER)
        assert raised.value.context["field"] == field and says in str(raised.value), query


def test_the_periods_to_choose_are_every_year_and_month_until_now() -> None:
    chosen = periods(date(2026, 3, 9))
    assert chosen[:4] == [("2026", 2026, None), ("2026-03", 2026, 3), ("2026-02", 2026, 2), ("2026-01", 2026, 1)]
    assert ("2025", 2025, None) in chosen and ("2025-12", 2025, 12) in chosen and ("2020-01", 2020, 1) in chosen
    assert len(chosen) == 3 + 1 + 6 * 13
    grouped = dict(period_choices("sv", date(2026, 3, 9)))
    assert grouped[2026][:2] == [("2026", "Hela året 2026"), ("2026-03", "mars 2026")]


def test_numbers_in_the_readers_language() -> None:
    assert fmt(1234, "count", "fi") == "1\xa0234" and fmt(1234, "count", "en") == "1,234"
    assert fmt(12.5, "percent", "sv") == "12,5" and fmt(SUPPRESSED, "count", "fi") == "x"
    assert fmt(None, "percent", "fi") == "–"


def sample_table() -> Table:
    return Table("t", "Kunnat", (Column("m", "Kunta", "label"), Column("n", "Yhteydenottoja", "count"),
                                 Column("p", "Osuus, %", "percent")),
                 [["Aura", SUPPRESSED, None], ["Turku", 57, 91.9]], total=["Yhteensä", 62, None])


def test_csv_export_keeps_hidden_counts_hidden() -> None:
    text = export.to_csv(sample_table(), "Varsinais-Suomi", "fi").decode("utf-8")
    assert text.startswith("\ufeffKunta;Yhteydenottoja;Osuus, %\r\n")
    assert "Aura;x;\r\n" in text and "Turku;57;91,9\r\n" in text and "Yhteensä;62;\r\n" in text


def test_xlsx_export_one_sheet_per_table() -> None:
    book = load_workbook(io.BytesIO(export.to_xlsx([sample_table()], "Varsinais-Suomi", "Alle viiden…")))
    rows = list(book["Kunnat"].iter_rows(values_only=True))
    assert rows[0][0] == "Kunnat" and ("Aura", "x", None) in rows and ("Turku", 57, 91.9) in rows


def test_report_says_little_when_there_is_little() -> None:
    f = parse_filters(QueryParams("municipality=aura"), REGIONS, VIEWER)
    key = Table("key_figures", "", (Column("figure", "", "label"), Column("value", "", "number"),
                                    Column("percent", "", "percent")), [["x", SUPPRESSED, None]])
    sentences = report_sentences({"key_figures": key}, f, "en")
    assert sentences[-1] == ("The number of requests is hidden (under five, or hidden to protect another figure), so no"
                             " further figures are shown.")


def test_staff_pass_is_signed_and_short_lived() -> None:
    started = datetime(2026, 3, 2, 8, 15, 30, 123456, tzinfo=UTC)
    token = issue_pass("secret", account_id="eeva", role="manager", region="varsinais-suomi", language="sv",
                       session_started=started)
    taken = read_pass("secret", token)
    assert (taken.account_id, taken.session_started) == ("eeva", started)
    with pytest.raises(InvalidPass):
        read_pass("another secret", token)
    with pytest.raises(InvalidPass):
        read_pass("secret", token, max_age=-1)


@pytest.mark.parametrize("value,expected", [("/overview?lang=sv", "/overview?lang=sv"), ("//evil.example", "/"),
                                            ("https://evil.example", "/"), (None, "/"), ("/\\evil", "/")])
def test_only_own_paths_after_sign_in(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


def test_a_period_is_a_calendar_year_or_month_the_current_one_until_today() -> None:
    assert period_days(2026, None, date(2026, 11, 23)) == (date(2026, 1, 1), date(2026, 11, 23))
    assert period_days(2025, None, date(2026, 11, 23)) == (date(2025, 1, 1), date(2025, 12, 31))
    assert period_days(2024, 2, date(2026, 11, 23)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert period_days(2026, 11, date(2026, 11, 23)) == (date(2026, 11, 1), date(2026, 11, 23))


def test_vendored_chart_js_is_the_version_package_json_pins() -> None:
    import json

    vendored = (ROOT / "services" / "reporting" / "static" / "vendor" / "chart.umd.min.js").read_text()[:200]
    lock = json.loads((ROOT / "package-lock.json").read_text())
    version = lock["packages"]["node_modules/chart.js"]["version"]
    assert f"Chart.js v{version}" in vendored, "run `make vendor` after changing chart.js in package.json"


def test_a_cases_facts_follow_its_events() -> None:
    from datetime import timedelta

    from services.reporting.projection import evolve_facts
    from shared.events import (
        CaseAssigned,
        CaseAssignedPayload,
        CaseClosed,
        CaseClosedPayload,
        CaseReopened,
        CaseReopenedPayload,
        CaseTriaged,
        CaseTriagedPayload,
        ContactAttempted,
        ContactAttemptedPayload,
        new_event,
    )

    submitted = request_event()
    at = submitted.occurred_at
    facts = {**facts_of_request(submitted, b"secret"), "topic_triage": None, "urgency": None,
             "child_welfare_concern": False, "child_welfare_notified": False, "team_id": None,
             "first_response_at": None, "first_response_kind": None, "response_team": None,
             "response_business_hours": None, "response_calendar_hours": None, "handoffs": 0, "referrals": 0,
             "referred_service": None, "referred_kind": None, "outcome": None, "closed_at": None, "reopened": 0,
             "feedback": None, "contact_attempts": 0, "reached_after": None}

    def then(cls, payload, hours: float):  # type: ignore[no-untyped-def]
        evolve_facts(facts, new_event(cls, case_id=submitted.case_id, region=submitted.region,
                                      municipality=submitted.municipality, actor="staff:k", payload=payload,
                                      occurred_at=at + timedelta(hours=hours)))

    then(CaseTriaged, CaseTriagedPayload(topic=None, urgency="urgent", child_welfare_concern=True), 1)
    assert (facts["topic"], facts["urgency"], facts["child_welfare_concern"]) == (None, "urgent", True)
    then(CaseAssigned, CaseAssignedPayload(assignee_kind="team", assignee_id="family-work"), 2)
    then(ContactAttempted, ContactAttemptedPayload(channel="phone", result="no_answer"), 3)
    assert facts["first_response_at"] is None  # not reached is no answer
    then(ContactAttempted, ContactAttemptedPayload(channel="phone", result="reached"), 4)
    then(ContactAttempted, ContactAttemptedPayload(channel="sms", result="reached"), 5)
    assert facts["first_response_at"] == at + timedelta(hours=4) and facts["first_response_kind"] == "phone"
    assert facts["response_team"] == "family-work" and facts["response_calendar_hours"] == 4.0
    then(CaseClosed, CaseClosedPayload(outcome="guidance_enough"), 6)
    then(CaseReopened, CaseReopenedPayload(), 7)
    assert (facts["outcome"], facts["closed_at"], facts["reopened"]) == (None, None, 1)
    then(CaseClosed, CaseClosedPayload(outcome="referred", referred_to="family-counselling"), 8)
    assert (facts["outcome"], facts["referred_service"]) == ("referred", "family-counselling")
