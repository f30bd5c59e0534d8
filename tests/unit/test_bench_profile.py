"""make bench's profile summary: py-spy's collapsed stacks summed by each stack's innermost frame."""

from __future__ import annotations

from pathlib import Path

from bench.profile import area, read
from shared.settings import ROOT

SITE = "/usr/lib/python3.11/site-packages"


def test_stacks_are_summed_by_their_innermost_frame_and_its_library(tmp_path: Path) -> None:
    raw = tmp_path / "intake.txt"
    raw.write_text(
        f"<module> ({ROOT}/services/intake/__main__.py:3);_do_execute ({SITE}/asyncpg/connection.py:1904) 30\n"
        f"<module> ({ROOT}/services/intake/__main__.py:3);submit_request ({ROOT}/services/intake/commands.py:80) 10\n"
        f"run (/usr/lib/python3.11/asyncio/runners.py:118) 10\n"
        "a line that is not a stack\n")
    profile = read("intake", raw)
    assert profile.samples == 50
    assert profile.by_area == {"asyncpg": 30, "services/intake": 10, "asyncio (Python)": 10}
    assert profile.by_function["_do_execute (connection.py)"] == 30
    assert profile.summary().startswith("intake (50 samples), own time by library: asyncpg 60%")
    assert read("nothing", tmp_path / "missing.txt").summary() == "nothing: no samples"


def test_libraries() -> None:
    assert area(f"{SITE}/pydantic/type_adapter.py") == "pydantic"
    assert area(f"{ROOT}/shared/consumer.py") == "shared"
    assert area("/usr/lib/python3.11/json/encoder.py") == "json (Python)"
