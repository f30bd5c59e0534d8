"""The page a browser gets for an HTTP error on notify: an HTML page, where FastAPI answers JSON.

Notify has no page a family or staff member reads; its pages (the API description and the development
mail sink) are English for the people who run it, and so is this one, with ``lang="en"`` saying so. The API
keeps its JSON errors (:func:`shared.http.wants_html`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

_PAGES = Environment(loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
                     autoescape=select_autoescape(["html"]))
TEXTS = {404: ("Page not found", "There is no page at this address."),
         405: ("Not allowed", "This address cannot be used this way.")}


async def error_page(request: Request, status: int) -> Response:
    """An HTTP error as an English page naming what went wrong."""
    title, body = TEXTS.get(status, ("Something went wrong", "The page could not be shown."))
    return HTMLResponse(_PAGES.get_template("error.html").render(title=title, body=body), status_code=status)
