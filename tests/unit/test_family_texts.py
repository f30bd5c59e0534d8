"""Every text exists in Finnish, Swedish and English; pick-up codes are long and forgiving to type."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from argon2 import PasswordHasher

from services.intake.family import CODE_ALPHABET, _code_matches, hash_code, new_pickup_code, normalise, pickup_key
from services.intake.i18n import CATALOG, LANGS, long_date, pick_lang, t

# Each key's text per language from intake's catalogs; a text with plural forms reads as its forms together.
TEXT = {key: {lang: "\n".join(forms) if all(forms) else "" for lang, forms in by_lang.items()}
        for key, by_lang in CATALOG.entries().items()}
TEMPLATES = Path(__file__).resolve().parents[2] / "services" / "intake" / "templates"


def test_every_text_in_three_languages() -> None:
    missing = [(key, lang) for key, entry in TEXT.items() for lang in LANGS if not entry.get(lang)]
    assert missing == []


def test_placeholders_match_across_languages() -> None:
    for key, entry in TEXT.items():
        fields = {lang: set(re.findall(r"{(\w+)}", entry[lang])) for lang in LANGS}
        assert fields["fi"] == fields["sv"] == fields["en"], key


def test_every_key_the_templates_use_exists() -> None:
    used = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_-]+)["']""", path.read_text()))
    dynamic = {"role_", "topic_", "age_", "method_", "weekday_"}
    assert {k for k in used if not any(k.startswith(d) for d in dynamic)} - set(TEXT) == set()
    for prefix, values in (("role_", ["parent", "child", "relative", "professional"]),
                           ("method_", ["phone", "sms", "email", "anonymous"]),
                           ("age_", ["0-2", "3-6", "7-12", "13-17"]),
                           ("weekday_", ["mon", "tue", "wed", "thu", "fri"])):
        assert all(prefix + v in TEXT for v in values)


def test_dates_read_naturally() -> None:
    day = date(2027, 12, 27)
    assert long_date(day, "fi") == "maanantai 27. joulukuuta 2027"
    assert long_date(day, "sv") == "måndag 27 december 2027"
    assert long_date(day, "en") == "Monday, 27 December 2027"
    promise = t("receipt_promise", "en", date=long_date(day, "en"))
    assert promise == "You will get an answer by Monday, 27 December 2027."


def test_language_choice() -> None:
    assert pick_lang("sv", ["fi"]) == "sv"
    assert pick_lang("de", ["sv", "fi"]) == "sv"
    assert pick_lang(None, []) == "fi"


def test_pickup_codes() -> None:
    codes = {new_pickup_code() for _ in range(100)}
    assert len(codes) == 100
    code = codes.pop()
    assert re.fullmatch(r"([2-9A-Z]{5}-){3}[2-9A-Z]{5}", code)
    assert set(code.replace("-", "")) <= set(CODE_ALPHABET)
    assert normalise(code.lower().replace("-", " ")) == code
    key, other_key = pickup_key(b"k" * 32), pickup_key(b"o" * 32)
    stored = hash_code(code, key)
    assert stored.startswith("hmac-sha256$") and code not in stored and code.replace("-", "") not in stored
    assert hash_code(code.lower().replace("-", " "), key) == stored  # typed back loosely, the same code
    assert hash_code(code, other_key) != stored  # without the key a stolen table allows no guessing


async def test_a_code_stored_as_argon2id_before_still_opens() -> None:
    code, key = new_pickup_code(), pickup_key(b"k" * 32)
    old = PasswordHasher().hash(code)
    assert await _code_matches(old, code.lower(), key)
    assert not await _code_matches(old, new_pickup_code(), key)
    assert await _code_matches(hash_code(code, key), code, key)
    assert not await _code_matches(hash_code(code, key), new_pickup_code(), key)
