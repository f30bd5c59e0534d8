"""Which numbers the service texts and calls (shared/phones.py), the region's rule for them, and where each
refusal shows: the form's field in fi, sv and en, and the case page's line for a message notify refused."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.intake.forms import RequestForm, parse_request
from services.intake.i18n import t
from services.routing.pages.render import failure_kind
from shared.errors import ConfigurationError
from shared.phones import EXPLANATIONS, PhoneRefused, calling_codes, check_phone, purpose_of
from shared.regions import ContactPolicy, load_regions

FI = ["FI"]
REGIONS = Path(__file__).resolve().parents[2] / "deploy" / "regions"


@pytest.mark.parametrize("typed", ["040 123 4567", "+358 40 123 4567", "00358401234567", "(040) 123-4567",
                                   "+358401234567"])
def test_a_finnish_mobile_is_texted_in_e164_however_it_is_written(typed: str) -> None:
    assert check_phone(typed, purpose="sms", countries=FI) == "+358401234567"
    assert check_phone(typed, purpose="call", countries=FI) == "+358401234567"


def test_a_landline_is_called_but_never_texted() -> None:
    assert check_phone("09 123 4567", purpose="call", countries=FI) == "+35891234567"
    assert check_phone("02 123 4567", purpose="call", countries=FI) == "+35821234567"
    with pytest.raises(PhoneRefused) as refused:
        check_phone("09 123 4567", purpose="sms", countries=FI)
    assert refused.value.problem == "not_mobile"


@pytest.mark.parametrize(("typed", "problem"), [
    ("+882 1348 0000", "service_number"),  # an international network
    ("+88213480000", "service_number"),
    ("+883 5100 0000 0000", "service_number"),
    ("+1 900 555 0123", "service_number"),  # premium rate in the United States
    ("+19005550123", "service_number"),
    ("0700 123456", "service_number"),  # a Finnish premium-rate number
    ("0600 12345", "service_number"),
    ("+358 20 1234567", "service_number"),  # a national business number (UAN)
    ("(((((", "invalid"),
    ("+", "invalid"),
    ("12", "invalid"),
    ("040", "invalid"),
    ("+358 75 1234567", "invalid"),
    ("0" * 40, "invalid"),
    ("+46 70 123 45 67", "country"),  # a Swedish mobile where only Finland is allowed
    ("+1 212 555 0123", "country"),
])
def test_what_is_never_texted_nor_called(typed: str, problem: str) -> None:
    for purpose in ("sms", "call"):
        with pytest.raises(PhoneRefused) as refused:
            check_phone(typed, purpose=purpose, countries=FI)  # type: ignore[arg-type]
        assert refused.value.problem == problem, (typed, purpose)
        assert str(refused.value) == EXPLANATIONS[refused.value.problem]
        assert typed not in str(refused.value)


def test_a_region_that_allows_sweden_takes_swedish_mobiles_and_reads_bare_numbers_as_its_first_country() -> None:
    both = ["FI", "SE"]
    assert check_phone("+46 70 123 45 67", purpose="sms", countries=both) == "+46701234567"
    assert check_phone("040 123 4567", purpose="sms", countries=both) == "+358401234567"
    assert check_phone("070 123 45 67", purpose="sms", countries=["SE", "FI"]) == "+46701234567"
    assert calling_codes(both) == "+358, +46"
    with pytest.raises(ValueError):
        check_phone("040 123 4567", purpose="call", countries=[])


def test_a_number_is_texted_only_when_the_family_chose_text_messages() -> None:
    assert purpose_of("sms") == "sms"
    assert [purpose_of(m) for m in ("phone", "email", "anonymous")] == ["call"] * 3


def test_the_region_rule_is_finland_and_a_cap_by_default_and_refuses_unknown_countries() -> None:
    assert ContactPolicy().countries == ["FI"] and ContactPolicy().sms_daily_cap >= 1
    with pytest.raises(ValidationError, match="unknown country code"):
        ContactPolicy(countries=["FI", "XX"])
    with pytest.raises(ValidationError, match="unknown country code"):
        ContactPolicy(countries=["fi"])
    with pytest.raises(ValidationError, match="twice"):
        ContactPolicy(countries=["FI", "FI"])
    with pytest.raises(ValidationError):
        ContactPolicy(countries=[])
    with pytest.raises(ValidationError):
        ContactPolicy(sms_daily_cap=0)


def form(**fields: str) -> dict[str, object]:
    return RequestForm(**{"submission_id": str(uuid.uuid4()), "requester_role": "parent", "message": "Apua",
                          "consent": "yes", **fields}).values()


@pytest.mark.parametrize(("method", "typed", "key"), [
    ("sms", "09 123 4567", "err_phone_not_mobile"),
    ("sms", "+882 1348 0000", "err_phone_service_number"),
    ("phone", "0700 123456", "err_phone_service_number"),
    ("phone", "+1 900 555 0123", "err_phone_service_number"),
    ("sms", "+46 70 123 45 67", "err_phone_country"),
    ("phone", "+358 75 1234567", "err_phone_invalid"),
    ("email", "+46 70 123 45 67", "err_phone_country"),
])
@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_form_says_why_next_to_the_number_in_the_page_language(method: str, typed: str, key: str,
                                                                   lang: str) -> None:
    values = form(contact_method=method, phone=typed, email="perhe@example.fi")
    body, errors = parse_request(values, municipality_id="raisio", lang=lang, website="", contact=ContactPolicy())
    assert body is None
    assert errors == {"phone": t(key, lang, codes="+358")}
    assert typed not in errors["phone"]


def test_the_form_has_words_for_each_refusal_in_each_language() -> None:
    finnish = {p: t(f"err_phone_{p}", "fi", codes="+358") for p in EXPLANATIONS}
    assert "matkapuhelinnumero" in finnish["not_mobile"] and "+358" in finnish["country"]
    for lang in ("sv", "en"):
        texts = {p: t(f"err_phone_{p}", lang, codes="+358") for p in EXPLANATIONS}
        assert all(texts[p] != finnish[p] for p in EXPLANATIONS), lang
    assert "mobilnummer" in t("err_phone_not_mobile", "sv") and "mobile number" in t("err_phone_not_mobile", "en")


def test_the_form_takes_a_landline_for_a_call_and_an_allowed_country_of_the_region() -> None:
    body, errors = parse_request(form(contact_method="phone", phone="02 123 4567"), municipality_id="raisio",
                                 lang="fi", website="")
    assert errors == {} and body is not None
    swedish = form(contact_method="sms", phone="+46 70 123 45 67")
    _, refused = parse_request(swedish, municipality_id="raisio", lang="fi", website="")
    assert set(refused) == {"phone"}
    body, errors = parse_request(swedish, municipality_id="raisio", lang="fi", website="",
                                 contact=ContactPolicy(countries=["FI", "SE"]))
    assert errors == {} and body is not None


def test_the_case_page_names_each_refusal_notify_records() -> None:
    for problem, words in EXPLANATIONS.items():
        assert failure_kind(f"number refused ({problem}): {words}") == f"number_{problem}"
    assert failure_kind("daily cap reached: 10 text messages to this number today") == "daily_cap"
    assert failure_kind("SMS gateway answered 400") == "delivery"


@pytest.mark.parametrize(("block", "problem"), [
    ("contact:\n  countries:\n  - FI\n  - XX\n", r"contact: .*unknown country code\(s\) XX"),
    ("contact:\n  countries: []\n", r"contact.countries"),
    ("contact:\n  sms_daily_cap: 0\n", r"contact.sms_daily_cap"),
])
def test_a_wrong_contact_block_stops_the_start_naming_the_file_and_field(tmp_path: Path, block: str,
                                                                        problem: str) -> None:
    text = (REGIONS / "pohjois-pohjanmaa.yaml").read_text(encoding="utf-8")
    start = text.index("contact:\n  countries:")
    end = text.index("sms_daily_cap", start)
    end = text.index("\n", end) + 1
    (tmp_path / "pohjois-pohjanmaa.yaml").write_text(text[:start] + block + text[end:], encoding="utf-8")
    with pytest.raises(ConfigurationError, match=rf"pohjois-pohjanmaa.yaml: {problem}"):
        load_regions(tmp_path)


def test_the_shipped_regions_text_and_call_finnish_numbers() -> None:
    for region in load_regions(REGIONS):
        assert region.contact.countries == ["FI"] and region.contact.sms_daily_cap == 10
