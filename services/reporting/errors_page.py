"""The page a browser gets for an HTTP error on the dashboards (an unknown address, a method a path does not
answer), in the page's language (``?lang=``, else Finnish); the API keeps its JSON errors."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from services.reporting.i18n import t
from services.reporting.pages import render
from shared.app import get_runtime
from shared.i18n import pick_lang

# The texts a browser's error page shows, by status; any other status gets the general one.
ERROR_TEXTS = {404: ("page_not_found", "page_not_found_body"), 405: ("error_title", "method_not_allowed_body")}


async def error_page(request: Request, status: int) -> Response:
    """An HTTP error as a page in the page's language, with the way to the overview."""
    lang = pick_lang(request.query_params.get("lang"), [])
    title, body = ERROR_TEXTS.get(status, ("error_title", "error_body"))
    return render(request, "error.html", None, lang, staff_url=get_runtime(request).settings.staff_url,
                  status=status, title=t(title, lang), message=t(body, lang), retry=f"/overview?lang={lang}")
