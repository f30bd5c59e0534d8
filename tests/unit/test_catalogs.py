"""The gettext catalogs: complete in fi, sv and en, in step with the code, with plural forms where a number shows."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from services.intake.forms import FIELD_ERROR_KEYS
from services.intake.i18n import CATALOG as INTAKE
from services.intake.web import FIELD_LABEL_KEYS
from services.network.i18n import CATALOG as NETWORK
from services.reporting.counts import METHODS, ROLES, TIMES
from services.reporting.filters import TOPICS
from services.reporting.i18n import CATALOG as REPORTING
from services.reporting.outcomes import OUTCOMES
from services.reporting.tables import PAGES
from services.routing.accounts import Role
from services.routing.domain import Status
from services.routing.i18n import CATALOG as ROUTING
from services.routing.queries import Risk
from shared import catalogs
from shared.i18n import LANGS, Catalog

CATALOGS = {c.domain: c for c in (INTAKE, ROUTING, REPORTING, NETWORK)}


@pytest.mark.parametrize("domain", CATALOGS)
def test_catalogs_are_complete_and_in_step_with_the_code(domain: str) -> None:
    """Fails on a missing translation, a key the code uses that no catalog has, or an entry nothing uses."""
    assert list(catalogs.problems(CATALOGS[domain])) == []


# A literal key anywhere in a service's code or templates, also where extraction cannot look (inside an f-string).
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z][a-z0-9_]*)["']\s*[,)]""")


@pytest.mark.parametrize("domain", CATALOGS)
def test_every_literal_key_in_the_sources_has_its_texts(domain: str) -> None:
    service = CATALOGS[domain].directory.parent
    sources = [p for p in service.rglob("*") if p.suffix in (".py", ".html")
               and "locale" not in p.parts and "static" not in p.parts]
    used = {key for path in sources for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8"))}
    entries = CATALOGS[domain].entries()
    assert sorted(key for key in used if set(entries.get(key, {})) != set(LANGS)) == []


def test_a_stale_catalog_is_found(tmp_path: Path) -> None:
    locale = tmp_path / "intake" / "locale"
    shutil.copytree(INTAKE.directory.parent, tmp_path / "intake", ignore=shutil.ignore_patterns("__pycache__"))
    sv = locale / "sv" / "LC_MESSAGES" / "intake.po"
    text = sv.read_text(encoding="utf-8")
    text = text.replace('msgid "send"\nmsgstr "Skicka"', 'msgid "send"\nmsgstr ""')
    sv.write_text(text.replace('msgid "status_open"', 'msgid "status_opened"'), encoding="utf-8")
    stale = Catalog("intake", locale, counts=INTAKE.counts, run_time=INTAKE.run_time)
    found = "\n".join(catalogs.problems(stale))
    assert "intake/sv: 'status_open' is used but not in the catalog" in found
    assert "intake/sv: 'status_opened' is no longer used" in found
    assert "intake/sv: 'send' has no sv translation" in found
    assert "intake/fi" not in found and "intake/en" not in found


def test_the_keys_code_builds_at_run_time_are_declared() -> None:
    assert set(FIELD_ERROR_KEYS.values()) | set(FIELD_LABEL_KEYS.values()) <= set(INTAKE.run_time)
    for prefix, values in (("role_", Role), ("state_", Status), ("risk_", Risk)):
        assert {prefix + v for v in values.__args__} <= set(ROUTING.run_time)  # type: ignore[attr-defined]
    for prefix, values in (("topic_", TOPICS), ("outcome_", OUTCOMES), ("role_", ROLES), ("time_", TIMES),
                           ("method_", METHODS), ("page_", PAGES), ("intro_", PAGES), ("nav_", PAGES)):
        assert {prefix + v for v in values} <= set(REPORTING.run_time)


@pytest.mark.parametrize("domain", CATALOGS)
def test_plural_forms_headers(domain: str) -> None:
    for lang in LANGS:
        with CATALOGS[domain].po_path(lang).open("rb") as fp:
            po = read_po(fp)
        assert po.num_plurals == 2 and po.plural_expr == "(n != 1)", lang  # the same rule in fi, sv and en


def test_a_number_chooses_the_form() -> None:
    t = INTAKE.t
    assert t("err_too_many", "sv", minutes=1) == "För många försök. Försök igen om 1 minut."
    assert t("err_too_many", "sv", minutes=2) == "För många försök. Försök igen om 2 minuter."
    assert t("err_too_many", "en", minutes=1) == "Too many attempts. Try again in 1 minute."
    assert t("err_too_many", "fi", minutes=1) == "Liian monta yritystä. Yritä uudelleen 1 minuutin kuluttua."
    assert ROUTING.t("account_locked", "en", minutes=15) == "Too many failed attempts. Try again in 15 minutes."
    assert REPORTING.t("report_contacts_no_rate", "fi", n=4) == "Perheet ottivat yhteyttä 4 kertaa."
    # The report shows its count already formatted; the form follows the number it reads.
    assert REPORTING.t("report_contacts_no_rate", "fi", n="1") == "Perheet ottivat yhteyttä 1 kerran."
    assert REPORTING.t("report_contacts_no_rate", "fi", n="1\xa0050") == "Perheet ottivat yhteyttä 1\xa0050 kertaa."
    assert REPORTING.t("report_contacts_no_rate", "en", n="1,050") == "Families asked for help 1,050 times."


def test_an_unknown_key_or_language() -> None:
    with pytest.raises(KeyError):
        INTAKE.t("no_such_key", "fi")
    assert INTAKE.t("send", "de") == INTAKE.t("send", "fi") == "Lähetä"
