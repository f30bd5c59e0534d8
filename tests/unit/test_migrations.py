"""Migration files: numbered series, checksums, what an old table of bare versions stands for, and the settings
and command that decide who migrates."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from services.intake.projection import MIGRATIONS as INTAKE_PROJECTION
from services.intake.schema import MIGRATIONS as INTAKE
from services.network.projection import MIGRATIONS as NETWORK_PROJECTION
from services.network.schema import MIGRATIONS as NETWORK
from services.notify.projection import MIGRATIONS as NOTIFY_PROJECTION
from services.notify.schema import MIGRATIONS as NOTIFY
from services.reporting.projection import MIGRATIONS as REPORTING_PROJECTION
from services.reporting.schema import MIGRATIONS as REPORTING
from services.routing.projection import MIGRATIONS as ROUTING_PROJECTION
from services.routing.schema import MIGRATIONS as ROUTING
from shared.migrations import Inline, MigrationError, Series, all_migrations, legacy_heads, tracking, unapplied
from shared.settings import ROOT, ServiceSettings

OWN = {"intake": INTAKE, "routing": ROUTING, "notify": NOTIFY, "reporting": REPORTING, "network": NETWORK}
PROJECTIONS = {"intake": INTAKE_PROJECTION, "routing": ROUTING_PROJECTION, "notify": NOTIFY_PROJECTION,
               "reporting": REPORTING_PROJECTION, "network": NETWORK_PROJECTION}


@pytest.mark.parametrize("service", sorted(OWN))
def test_each_service_has_a_series_of_its_own_and_one_for_its_projection(service: str) -> None:
    (own,) = OWN[service]
    assert own.name == service and own.migrations, service
    assert all(m.source.startswith(f"services/{service}/migrations/{service}/") for m in own.migrations)
    projection = PROJECTIONS[service]
    assert [s.name for s in projection] == ["tracking", "projection"]
    assert all(m.source.startswith(f"services/{service}/migrations/projection/") for m in projection[1].migrations)


def test_the_tracking_tables_are_made_in_one_file_only() -> None:
    makers = [path.relative_to(ROOT).as_posix() for top in ("services", "shared") for path in (ROOT / top).rglob("*")
              if path.suffix in (".py", ".sql") and "CREATE TABLE processed_events" in path.read_text()]
    assert makers == ["shared/migrations/tracking/0001_projection_offsets_and_processed_events.sql"]
    assert all(plan[0] == tracking() for plan in PROJECTIONS.values())


def test_a_checksum_is_the_sha256_of_the_file(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_bytes("CREATE TABLE ä (id int);\n".encode())
    (migration,) = Series("s", tmp_path).migrations
    assert migration.version == 1 and migration.series == "s"
    assert migration.checksum == hashlib.sha256((tmp_path / "0001_first.sql").read_bytes()).hexdigest()


@pytest.mark.parametrize("names", [["0001_a.sql", "0003_c.sql"], ["0002_b.sql"], ["0001_a.sql", "1_b.sql"],
                                   ["0001_A.sql"]])
def test_files_are_numbered_from_one_without_gaps(tmp_path: Path, names: list[str]) -> None:
    for name in names:
        (tmp_path / name).write_text("SELECT 1;")
    with pytest.raises(MigrationError):
        _ = Series("s", tmp_path).migrations


def test_nothing_is_read_until_needed(tmp_path: Path) -> None:
    series = Series("s", tmp_path / "not-yet")
    (tmp_path / "not-yet").mkdir()
    (tmp_path / "not-yet" / "0001_a.sql").write_text("SELECT 1;")
    assert [m.version for m in series.migrations] == [1]


def test_unapplied_in_order_and_a_changed_file_refused_by_name() -> None:
    plan = [Inline("a", ("SELECT 1", "SELECT 2")), Inline("b", ("SELECT 3",))]
    first, second, third = all_migrations(plan)
    assert unapplied(plan, {}) == [first, second, third]
    assert unapplied(plan, {("a", 1): first.checksum, ("b", 1): None}) == [second]
    # Rows the files no longer name (a newer release's) are no reason to refuse.
    assert unapplied(plan, {("a", 1): first.checksum, ("a", 2): second.checksum, ("b", 1): third.checksum,
                            ("c", 9): "x"}) == []
    with pytest.raises(MigrationError, match="a#2"):
        unapplied(plan, {("a", 1): first.checksum, ("a", 2): "not its checksum"})


def test_an_old_version_1_of_a_projection_held_the_tracking_tables() -> None:
    assert legacy_heads(ROUTING_PROJECTION, {1, 2}) == [("tracking", 1)]
    assert legacy_heads(ROUTING_PROJECTION, set()) == []
    assert legacy_heads(ROUTING, {1, 2, 3}) == []


def test_the_services_migrate_at_start_except_in_production() -> None:
    assert ServiceSettings().migrates_on_start
    assert ServiceSettings(environment="test").migrates_on_start
    production = ServiceSettings(environment="production", kek="YS1rZXktb2YtdGhpcy10ZXN0LW9ubHktMzItYnl0ZXM=")
    assert not production.migrates_on_start
    assert production.model_copy(update={"migrate_on_start": True}).migrates_on_start
    with pytest.raises(ValueError):
        ServiceSettings(database_app_role="app; DROP TABLE x")
