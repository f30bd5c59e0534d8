"""Every staff text exists in three languages, and every event type has its timeline label."""

from __future__ import annotations

import re
from pathlib import Path

from services.routing.i18n import CATALOG
from shared.events import EVENT_TYPES

TEXT = CATALOG.entries()

TEMPLATES = Path(__file__).resolve().parents[2] / "services" / "routing" / "templates"


def test_three_languages() -> None:
    assert CATALOG.missing() == []


def test_every_event_type_has_a_timeline_label() -> None:
    assert {f"ev_{name}" for name in EVENT_TYPES} <= set(TEXT)


def test_templates_use_only_existing_keys() -> None:
    used = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.-]+)["']""", path.read_text()))
    prefixes = {key for key in used if key.endswith("_")}  # t("state_" ~ status): filled in at run time
    assert used - prefixes - set(TEXT) == set()
    assert all(any(k.startswith(p) for k in TEXT) for p in prefixes)
