"""HTTP edges shared by the services: one error shape, a body-size limit, 503 when the database is down."""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db import CONNECTION_ERRORS, unavailable
from shared.errors import DomainError

log = structlog.get_logger(__name__)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) if parts else "body"


def validation_fields(exc: RequestValidationError) -> list[dict[str, str]]:
    fields = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            fields.append({"field": "body", "problem": "the body is not valid JSON"})
            continue
        fields.append({"field": _field_name(loc), "problem": str(error.get("msg", "invalid"))})
    return fields


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    fields = validation_fields(exc)
    names = ", ".join(sorted({f["field"] for f in fields}))
    return JSONResponse(status_code=422, content={
        "error": "validation_failed", "detail": f"invalid or missing: {names}", "fields": fields})


async def _on_http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own HTTP errors; a JSON body that is not UTF-8 gets the 422 of any other body that is not JSON."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        not_json = RequestValidationError([{"type": "json_invalid", "loc": ("body", 0), "msg": "JSON decode error"}])
        return await _on_validation(request, not_json)
    return await http_exception_handler(request, exc)


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return domain_error_response(exc)


def domain_error_response(exc: DomainError) -> JSONResponse:
    """The one JSON shape of an error: ``error`` (a code), ``detail`` (a sentence), and named values."""
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    content: dict[str, Any] = {"error": exc.code, "detail": exc.detail}
    content.update({k: v for k, v in exc.context.items() if isinstance(v, str | int | float | bool)})
    return JSONResponse(status_code=exc.status_code, content=content, headers=headers)


# Text PostgreSQL cannot hold (a NUL character) is the client's mistake: a 422, not a 500.
UNSTORABLE_TEXT: tuple[type[Exception], ...] = (asyncpg.exceptions.CharacterNotInRepertoireError,
                                                asyncpg.exceptions.UntranslatableCharacterError)


async def _on_unstorable_text(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=422, content={
        "error": "invalid_character", "detail": "a value contains a character that cannot be stored (NUL)"})


async def _on_db_down(request: Request, exc: Exception) -> JSONResponse:
    log.warning("http.database_unavailable", path=request.url.path, error=type(exc).__name__)
    return await _on_domain_error(request, unavailable(exc))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(DomainError, _on_domain_error)
    for text_error in UNSTORABLE_TEXT:
        app.add_exception_handler(text_error, _on_unstorable_text)
    for exc_type in CONNECTION_ERRORS:
        app.add_exception_handler(exc_type, _on_db_down)


class SecurityHeaders:
    """A strict Content Security Policy (no inline script or style) and the usual hardening headers."""

    def __init__(self, app: ASGIApp, frame_ancestors: str = "'none'", form_targets: tuple[str, ...] = ()) -> None:
        self.app = app
        # A form's redirects count as its target: routing's sign-in may end on reporting's pages.
        form_action = " ".join(("'self'", *form_targets))
        csp = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               f"object-src 'none'; base-uri 'none'; form-action {form_action}; frame-ancestors {frame_ancestors}")
        self.headers = [(b"content-security-policy", csp.encode()), (b"x-content-type-options", b"nosniff"),
                        (b"referrer-policy", b"no-referrer"), (b"cross-origin-opener-policy", b"same-origin")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cross_origin = scope["path"] == "/button.js"  # municipalities' sites load it

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + self.headers
                headers.append((b"cross-origin-resource-policy", b"cross-origin" if cross_origin else b"same-origin"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413, by header and while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        received = 0
        rejected = False

        async def limited_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Answer now; the app sees the client gone and whatever it sends is dropped.
                    rejected = True
                    await self._too_large(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not rejected:
                await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _too_large(self, send: Send) -> None:
        body = (b'{"error":"payload_too_large","detail":"the request body is over %d bytes"}'
                % self.max_bytes)
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
