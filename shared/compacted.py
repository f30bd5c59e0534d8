"""A compacted topic kept as a table: a record upserts its row, a tombstone (no value) deletes it.

The key topic (case keys) and the staff topic (the staff directory) are read this way by the
services that need them; each names its table, its columns and how a record becomes a row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from shared.applier import PoisonRecord, RecordLike
from shared.db import Conn, check_ident

M = TypeVar("M", bound=BaseModel)


class CompactedTable(Generic[M]):
    """The record handler of one compacted topic: ``columns`` are (name, SQL type), the record's key first."""

    def __init__(self, *, table: str, columns: Sequence[tuple[str, str]], model: type[M],
                 row: Callable[[M], tuple[object, ...]], what: str, updated: Sequence[str] | None = None) -> None:
        for name in (table, *(c for c, _ in columns)):
            check_ident(name)
        key, key_type = columns[0]
        names = [c for c, _ in columns]
        changed = updated if updated is not None else names[1:]
        self.model = model
        self.row = row
        self.what = what
        self.upsert = (f"INSERT INTO {table} ({', '.join(names)})"
                       f" VALUES ({', '.join(f'${i}::{t}' for i, (_, t) in enumerate(columns, start=1))})"
                       f" ON CONFLICT ({key}) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in changed)}")
        self.delete = f"DELETE FROM {table} WHERE {key} = $1::{key_type}"

    async def __call__(self, conn: Conn, record: RecordLike) -> None:
        """Upsert the row the record holds, or delete the key's row on a tombstone."""
        if record.key is None:  # a compacted topic refuses records without a key: this one was not written there
            raise PoisonRecord(f"{self.what} without a key")
        if record.value is None:
            await conn.execute(self.delete, record.key.decode())
            return
        try:
            parsed = self.model.model_validate_json(record.value)
        except ValidationError as exc:
            raise PoisonRecord(f"not {self.what}: {exc.error_count()} problem(s)") from exc
        await conn.execute(self.upsert, *self.row(parsed))
