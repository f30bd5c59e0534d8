"""Which contact details go with which way of answering: one rule for the family's form and a recorded contact."""

from __future__ import annotations

from shared.event_base import ContactMethod


def check_details_fit_method(method: ContactMethod, *, name: str | None, phone: str | None, email: str | None,
                             what: str) -> None:
    """Raise ValueError (a 422 through pydantic) when the details cannot serve ``method``: a call or a text needs
    a number, an e-mail an address, and ``what`` (a request, a contact) that is anonymous carries none."""
    if method in ("phone", "sms") and not phone:
        raise ValueError(f"a phone number is needed to answer by {method}")
    if method == "email" and not email:
        raise ValueError("an e-mail address is needed to answer by e-mail")
    if method == "anonymous" and (name or phone or email):
        raise ValueError(f"an anonymous {what} carries no name, phone or e-mail")
