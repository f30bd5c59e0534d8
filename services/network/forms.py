"""The recruitment form, read into the API's own model, so each rule is checked in one place.

A form arrives as strings (a missing field as an empty one); the model's errors become each field's message in
the page's language.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ValidationError

from services.network.i18n import t
from services.network.models import Application
from shared.text import is_control_character_error

FIELD_ERROR_KEYS = {"name": "err_name", "email": "err_email", "phone": "err_phone", "organisation": "err_organisation",
                    "sector": "err_sector", "themes": "err_themes", "languages": "err_languages", "why": "err_why",
                    "consent": "err_consent", "municipality": "err_municipality", "website": "err_honeypot"}
SHOWN = ("submission_id", "municipality", "name", "email", "phone", "organisation", "sector", "themes", "languages",
         "why", "consent")


class JoinForm(BaseModel):
    """The recruitment form as the browser posts it."""

    submission_id: str = ""
    lang: str = ""
    municipality: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""
    organisation: str = ""
    sector: str = ""
    themes: list[str] = []
    languages: list[str] = []
    why: str = ""
    consent: str = ""
    website: str = ""

    def values(self) -> dict[str, Any]:
        """The fields to show again; a form without a submission id is given one (a retry then sends it)."""
        values = {name: getattr(self, name) for name in SHOWN}
        if not values["submission_id"]:
            values["submission_id"] = str(uuid.uuid4())
        return values


def parse_join(form: JoinForm, lang: str) -> tuple[Application | None, dict[str, str]]:
    """The API's application from the form, or each field's error in ``lang``."""
    values = form.values()
    body = {"submission_id": values["submission_id"], "municipality": form.municipality, "language": lang,
            "name": form.name, "email": form.email, "phone": form.phone.strip() or None,
            "organisation": form.organisation, "sector": form.sector or None, "themes": form.themes,
            "languages": form.languages, "why": form.why, "consent": form.consent == "yes",
            "website": form.website or None}
    try:
        return Application.model_validate(body), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "name"
            key = ("err_control_chars" if is_control_character_error(error)
                   else FIELD_ERROR_KEYS.get(field, "err_invalid"))
            errors.setdefault(field, t(key, lang))
        return None, errors
