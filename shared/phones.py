"""Which phone numbers the service will text or call: one rule for intake (taking a number) and notify (using one).

A text message goes only to a valid mobile number, a call to a valid mobile or landline number, and both
only in the countries the region allows (Finland unless its ``contact:`` block says otherwise). Everything
else is refused by what it is: premium-rate, shared-cost, UAN, pager, VoIP, personal and toll-free numbers
cost the family or a third party money or reach no person, and the international networks (+882, +883)
are satellite and carrier services billed at their own rates. Numbers are kept and sent in E.164.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import phonenumbers
from phonenumbers import PhoneNumberType

Purpose = Literal["sms", "call"]
Problem = Literal["invalid", "not_mobile", "country", "service_number"]

MOBILE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
CALLABLE = MOBILE | {PhoneNumberType.FIXED_LINE}
# Calling codes of no country: the international networks ("global" numbers; region code 001).
INTERNATIONAL_NETWORKS = frozenset({881, 882, 883})
# A number and its punctuation, as long as anyone writes one; more is not a phone number.
MAX_WRITTEN = 32

# In plain words, for the API's 422 and for the reason notify records (never with the number itself).
EXPLANATIONS: dict[Problem, str] = {
    "invalid": "this is not a complete phone number",
    "not_mobile": "a text message can go only to a mobile number",
    "country": "numbers of this country are not answered in this region",
    "service_number": "a service number (premium-rate, shared-cost, toll-free or an international network) is "
                      "never called or texted",
}


class PhoneRefused(ValueError):
    """A number the service will not text or call; ``problem`` says why, :data:`EXPLANATIONS` in words."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(EXPLANATIONS[problem])
        self.problem: Problem = problem


def purpose_of(contact_method: str) -> Purpose:
    """What a family's number is for: texts for ``sms``; a call (a landline will do) otherwise."""
    return "sms" if contact_method == "sms" else "call"


def known_country(code: str) -> bool:
    """Whether ``code`` is a region code phonenumbers has numbering plans for ('FI', 'SE')."""
    return code in phonenumbers.SUPPORTED_REGIONS


def calling_codes(countries: Sequence[str]) -> str:
    """The countries' calling codes as people know them: '+358', '+358, +46'."""
    codes = dict.fromkeys(f"+{phonenumbers.country_code_for_region(c)}" for c in countries)
    return ", ".join(codes)


def check_phone(value: str, *, purpose: Purpose, countries: Sequence[str]) -> str:
    """The number in E.164 if it may be used for ``purpose`` in ``countries``; :class:`PhoneRefused` otherwise.

    A number without a country code is read as the first country's ('040 123 4567' in Finland)."""
    if not countries:
        raise ValueError("at least one country must be allowed")
    if len(value) > MAX_WRITTEN:
        raise PhoneRefused("invalid")
    try:
        number = phonenumbers.parse(value, countries[0])
    except phonenumbers.NumberParseException:
        raise PhoneRefused("invalid") from None
    if number.country_code in INTERNATIONAL_NETWORKS:
        raise PhoneRefused("service_number")
    if not phonenumbers.is_valid_number(number):
        raise PhoneRefused("invalid")
    kind = phonenumbers.number_type(number)
    if kind not in CALLABLE:
        raise PhoneRefused("service_number")
    if phonenumbers.region_code_for_number(number) not in countries:
        raise PhoneRefused("country")
    if purpose == "sms" and kind not in MOBILE:
        raise PhoneRefused("not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
