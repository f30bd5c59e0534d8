"""Every service's API description page, ``/docs``: Swagger UI served by the service itself.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; the services'
Content Security Policy (``script-src 'self'``, no ``unsafe-inline``, see :mod:`shared.http`) blocks
both, so that page stayed blank. Here the bundle and its stylesheet are files of the service
(``shared/static/swagger-ui``, from npm's ``swagger-ui-dist`` as package.json pins it; ``make vendor``
copies them) and the page starts it from a script file, under the same policy as every other page.
ReDoc and Swagger's OAuth2 redirect page are not offered: nobody signs in to read the description.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).resolve().parent / "static"
ASSETS_AT = "/docs/assets"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} – API</title>
  <link rel="icon" type="image/png" href="{assets}/swagger-ui/favicon-32x32.png">
  <link rel="stylesheet" href="{assets}/swagger-ui/swagger-ui.css">
  <link rel="stylesheet" href="{assets}/swagger-docs.css">
</head>
<body>
  <main id="swagger-ui" data-openapi="{openapi}"><h1>{title}</h1><p><a href="{openapi}">OpenAPI</a></p></main>
  <script src="{assets}/swagger-ui/swagger-ui-bundle.js" defer></script>
  <script src="{assets}/swagger-init.js" defer></script>
</body>
</html>
"""


def install_docs(app: FastAPI) -> None:
    """``/docs`` and its files on ``app`` (made with ``docs_url=None``); ``/openapi.json`` stays FastAPI's."""
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    async def docs(request: Request) -> HTMLResponse:
        # The descriptions in the OpenAPI document are English, so the page says it is.
        return HTMLResponse(PAGE.format(title=escape(app.title), assets=ASSETS_AT,
                                        openapi=escape(app.openapi_url or "/openapi.json")))

    app.include_router(router)
    app.mount(ASSETS_AT, StaticFiles(directory=ASSETS), name="docs-assets")
