"""The page a browser gets for an HTTP error on routing (an unknown address, a method a path does not answer).

In the page's language (``?lang=``, else Finnish), with the way back to the queue; the API keeps its JSON
errors (:func:`shared.http.wants_html`). No session is looked up: an error page shows nobody's data.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from services.routing.i18n import t
from services.routing.pages.render import page_lang, render

# The texts a browser's error page shows, by status; any other status gets the general one.
ERROR_TEXTS = {404: ("page_not_found", "page_not_found_body"), 405: ("error_title", "method_not_allowed_body")}


async def error_page(request: Request, status: int) -> Response:
    """An HTTP error as a page in the page's language."""
    lang = page_lang(request, None)
    title, body = ERROR_TEXTS.get(status, ("error_title", "error_body"))
    return render(request, "message.html", None, status, lang=lang, title=t(title, lang), body=t(body, lang))
