"""Schema migrations as numbered SQL files: series of files, their checksums, and what a schema has applied.

A series is one folder of ``NNNN_what.sql`` files, recorded in a schema's ``schema_migrations`` under the
series' name. A schema's plan is its series in order: a service's own schema has one (named after the
service), a projection schema two, the shared ``tracking`` series (``tracking/`` beside this file: the
offsets and processed event ids every projection keeps) and then the projection's own files. Adding a
migration is adding the next file of its series.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


class MigrationError(RuntimeError):
    """The database's schemas are not what the migration files make: refuse to go on."""


@dataclass(frozen=True)
class Migration:
    """One file of a series: its version, where it is, and the statements it holds."""

    series: str
    version: int
    source: str
    sql: str

    @property
    def checksum(self) -> str:
        """The sha256 of the file's bytes, recorded when it is applied."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class Series:
    """The numbered files of one folder, read when first needed (nothing is read at import time)."""

    name: str
    folder: Path
    # Databases migrated before the series stood apart ran its first files inside the version 1 of the
    # schema's main series: the tracking tables were the head of every projection's first script.
    within_legacy_first: int = 0

    @cached_property
    def migrations(self) -> tuple[Migration, ...]:
        """The files in version order; numbers must run 1, 2, 3 … without a gap or a repeat."""
        found = []
        for path in sorted(self.folder.glob("*.sql")):
            match = FILE_NAME.match(path.name)
            if not match:
                raise MigrationError(f"{display(path)}: a migration is named NNNN_what.sql (lower case)")
            found.append(Migration(self.name, int(match.group(1)), display(path), path.read_bytes().decode()))
        versions = [m.version for m in found]
        if versions != list(range(1, len(found) + 1)):
            raise MigrationError(f"{display(self.folder)}: the files must be numbered 1 to {len(found)}, "
                                 f"found {versions}")
        return tuple(found)


@dataclass(frozen=True)
class Inline:
    """A series given as statements rather than files (tests' extra tables)."""

    name: str
    statements: tuple[str, ...]
    within_legacy_first: int = 0

    @cached_property
    def migrations(self) -> tuple[Migration, ...]:
        """The statements as migrations numbered from 1."""
        return tuple(Migration(self.name, version, f"{self.name}#{version}", sql)
                     for version, sql in enumerate(self.statements, start=1))


Plan = Sequence[Series | Inline]


def display(path: Path) -> str:
    """A file's path from the project's root where it is inside it, for messages."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def tracking() -> Series:
    """The projection_offsets and processed_events tables of every projection schema."""
    return Series("tracking", HERE / "tracking", within_legacy_first=1)


def service_series(package_dir: Path, service: str) -> list[Series | Inline]:
    """A service's own schema: the files of ``migrations/<service>/`` beside its code."""
    return [Series(service, package_dir / "migrations" / service)]


def projection_series(package_dir: Path) -> list[Series | Inline]:
    """A projection schema: the tracking tables, then ``migrations/projection/`` beside the service's code."""
    return [tracking(), Series("projection", package_dir / "migrations" / "projection")]


def all_migrations(plan: Plan) -> list[Migration]:
    """Every migration of a plan, in the order they are applied."""
    return [m for series in plan for m in series.migrations]


def unapplied(plan: Plan, applied: dict[tuple[str, int], str | None]) -> list[Migration]:
    """The plan's migrations not yet recorded; a recorded one whose file changed is refused."""
    changed = [m.source for m in all_migrations(plan)
               if applied.get((m.series, m.version)) not in (None, m.checksum)]
    if changed:
        raise MigrationError(f"applied migration files were changed since: {', '.join(changed)}; a file once "
                             "applied is never edited, add the next file of its series instead")
    return [m for m in all_migrations(plan) if (m.series, m.version) not in applied]


def legacy_heads(plan: Plan, versions: set[int]) -> list[tuple[str, int]]:
    """The rows a ``schema_migrations`` of bare versions lacks under the plan's series names.

    Its versions are those of the plan's last series (the schema's own); where version 1 was applied, so
    were the first files of any series that once was its head (the tracking tables).
    """
    if 1 not in versions:
        return []
    return [(s.name, v) for s in plan[:-1] for v in range(1, s.within_legacy_first + 1)]
