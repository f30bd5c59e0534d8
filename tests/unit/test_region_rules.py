"""A region's own rules in its YAML: office hours, warning time, client-case retention and the accessibility
contact, each validated at start-up with an error that names the file and field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from services.reporting.projection import first_response, time_of_contact
from services.routing.erasure import client_cutoff
from shared.businessdays import HELSINKI, WorkingDay
from shared.errors import ConfigurationError
from shared.regions import load_regions
from shared.settings import ROOT

REGIONS = ROOT / "deploy" / "regions"
SHIPPED = (REGIONS / "varsinais-suomi.yaml").read_text()


def region_with(tmp_path: Path, old: str, new: str) -> Path:
    assert old in SHIPPED
    (tmp_path / "varsinais-suomi.yaml").write_text(SHIPPED.replace(old, new))
    return tmp_path


def test_the_shipped_regions_state_their_rules() -> None:
    for region in load_regions(REGIONS):
        assert region.office_hours.label == "8–16"
        assert region.deadline.warning_hours == 4
        assert region.retention is not None and region.retention.client_years == 30
        assert region.accessibility is not None and "@" in region.accessibility.email
        assert region.callbacks.attempts == 3


@pytest.mark.parametrize(("old", "new", "problem"), [
    ('opens: "08:00"', 'opens: "16:00"', "office_hours: Value error, office hours must open before they close"),
    ('opens: "08:00"', "opens: 8:00", r"office_hours.opens: Value error, write the time in quotes"),
    ('closes: "16:00"', 'closes: "25:00"', "office_hours.closes"),
    ("warning_hours: 4", "warning_hours: -1", "deadline.warning_hours"),
    ("client_years: 30", "client_years: 0", "retention.client_years"),
    ("email: saavutettavuus@varha.example", "email: nobody", "accessibility.email"),
])
def test_a_wrong_rule_stops_the_start_naming_the_file_and_field(tmp_path: Path, old: str, new: str,
                                                                  problem: str) -> None:
    with pytest.raises(ConfigurationError, match=f"varsinais-suomi.yaml: {problem}"):
        load_regions(region_with(tmp_path, old, new))


def test_a_region_working_8_30_to_15_counts_its_own_hours(tmp_path: Path) -> None:
    regions = load_regions(region_with(tmp_path, 'opens: "08:00"\n  closes: "16:00"',
                                       'opens: "08:30"\n  closes: "15:00"'))
    day = regions.working_day("varsinais-suomi")
    assert regions.by_id["varsinais-suomi"].office_hours.label == "8.30–15"
    monday_ten = datetime(2026, 11, 23, 10, 0, tzinfo=HELSINKI)
    assert day.hours_left(monday_ten, date(2026, 11, 24)) == 5 + 6.5
    assert WorkingDay().hours_left(monday_ten, date(2026, 11, 24)) == 6 + 8
    assert day.hours_left(datetime(2026, 11, 24, 16, 0, tzinfo=HELSINKI), date(2026, 11, 24)) == 0
    assert regions.working_day("no-such-region") == WorkingDay()
    # The statistics count the same hours: 15.30 is evening there, and a Friday-evening request answered on
    # Monday at ten waited 1.5 working hours, not 2.
    assert time_of_contact(datetime(2026, 11, 23, 15, 30, tzinfo=HELSINKI), day) == "evening"
    assert time_of_contact(datetime(2026, 11, 23, 8, 15, tzinfo=HELSINKI), day) == "night"
    assert time_of_contact(datetime(2026, 11, 23, 15, 30, tzinfo=HELSINKI)) == "office"
    friday_evening = datetime(2026, 11, 27, 20, 0, tzinfo=HELSINKI)
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=HELSINKI)
    assert first_response(friday_evening, monday, day)["response_business_hours"] == 1.5


def test_client_cases_are_kept_the_region_s_years_after_closing() -> None:
    region = load_regions(REGIONS).by_id["varsinais-suomi"]
    now = datetime(2056, 12, 5, 12, 0, tzinfo=UTC)
    assert client_cutoff(region, now) == datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    leap = datetime(2056, 2, 29, 12, 0, tzinfo=UTC)  # 2026 has no 29 February
    assert client_cutoff(region, leap) == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    without = region.model_copy(update={"retention": region.retention.model_copy(update={"client_years": None})})
    assert client_cutoff(without, now) is None


def test_the_child_welfare_limit_is_the_same_business_day_unless_the_region_says_otherwise() -> None:
    region = load_regions(REGIONS).by_id["varsinais-suomi"]
    day = region.working_day
    tuesday_ten = datetime(2026, 11, 24, 10, 0, tzinfo=HELSINKI)
    assert region.child_welfare.due(tuesday_ten, day) == datetime(2026, 11, 24, 16, 0, tzinfo=HELSINKI)
    # Flagged on Friday evening or on Christmas Eve: by the end of the next business day.
    assert region.child_welfare.due(datetime(2026, 11, 27, 20, 0, tzinfo=HELSINKI), day) == \
        datetime(2026, 11, 30, 16, 0, tzinfo=HELSINKI)
    assert region.child_welfare.due(datetime(2026, 12, 24, 9, 0, tzinfo=HELSINKI), day) == \
        datetime(2026, 12, 28, 16, 0, tzinfo=HELSINKI)
    within_four = region.child_welfare.model_copy(update={"notify_within_hours": 4})
    assert within_four.due(datetime(2026, 11, 24, 14, 0, tzinfo=HELSINKI), day) == \
        datetime(2026, 11, 25, 10, 0, tzinfo=HELSINKI)
    assert day.after_working_hours(datetime(2026, 11, 28, 3, 0, tzinfo=HELSINKI), 1) == \
        datetime(2026, 11, 30, 9, 0, tzinfo=HELSINKI)
