"""Session fixtures start a real Kafka and a real PostgreSQL once; function fixtures isolate.

Each test gets its own topic prefix (so its own topics and consumer groups) and its own
schemas, so tests run beside each other and beside ``make run`` without touching its data.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.infra import LocalKafka, LocalPostgres, free_port


@pytest.fixture(scope="session")
def infra_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="apua-tests-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(infra_dir: Path) -> Iterator[LocalPostgres]:
    pg = LocalPostgres(port=free_port(), data_dir=infra_dir / "postgres")
    pg.start()
    yield pg
    pg.stop()


@pytest.fixture(scope="session")
def kafka(infra_dir: Path) -> Iterator[LocalKafka]:
    broker = LocalKafka(port=free_port(), data_dir=infra_dir / "kafka")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def prefix() -> str:
    """A topic prefix and schema suffix of this test's own."""
    return f"t{uuid.uuid4().hex[:10]}"
