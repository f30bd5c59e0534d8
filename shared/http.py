"""HTTP edges shared by the services: one error shape, a body-size limit, 503 when the database is down."""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db import CONNECTION_ERRORS, unavailable
from shared.errors import DomainError, Unauthorized

if TYPE_CHECKING:
    from shared.regions import Municipality

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
    if exc.status_code == 405:
        exc = HTTPException(405, exc.detail, headers={**(exc.headers or {}), "Allow": _allowed(request)})
    page = _browser_page(request)
    if page is not None:
        answer = await page(request, exc.status_code)
        answer.headers.update(exc.headers or {})
        return answer
    return await http_exception_handler(request, exc)


# A service's HTML page for an HTTP error (an unknown address, a method a path does not answer), in the
# page's language, for browsers; set as ``app.state.error_page``. The API keeps its JSON errors.
ErrorPage = Callable[[Request, int], Awaitable[Response]]


def _browser_page(request: Request) -> ErrorPage | None:
    """The service's error page when a browser asks for a page, else None (the API's JSON)."""
    page: ErrorPage | None = getattr(request.app.state, "error_page", None)
    return page if page is not None and wants_html(request) else None


def wants_html(request: Request) -> bool:
    """A browser asking for a page: HTML accepted, and not an address of the JSON API."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def _allowed(request: Request) -> str:
    """Every method the request's path answers: Starlette's 405 names only those of the first route on the
    path, and a path such as ``/api/v1/templates`` has a route per method (GET and POST)."""
    methods: set[str] = set()
    # Every route, those of included routers too (FastAPI keeps them behind the router that includes them).
    for context in iter_route_contexts(request.app.router.routes):
        if context.methods and context.path and compile_path(context.path)[0].match(request.url.path):
            methods |= context.methods
    return ", ".join(sorted(methods))


async def _on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    page = _browser_page(request)
    if page is not None and exc.status_code >= 500:  # the database away: a page saying to try again, for a browser
        answer = await page(request, exc.status_code)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            answer.headers["Retry-After"] = str(retry_after)
        return answer
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


async def _on_db_down(request: Request, exc: Exception) -> Response:
    log.warning("http.database_unavailable", path=request.url.path, error=type(exc).__name__)
    return await _on_domain_error(request, unavailable(exc))


class RedirectTo(Exception):
    """A page's answer is elsewhere (sign in first, or a page for another role): 303 to ``location``."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


async def _on_redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RedirectTo)
    return RedirectResponse(exc.location, status_code=303)


def safe_next(value: str | None, default: str = "/") -> str:
    """A place to go back to that is a path on this service, never another site (an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def same_token(given: str | None, expected: str) -> bool:
    """Whether a CSRF (or other secret) token sent back is the expected one, in constant time."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def require_bearer(request: Request, token: str | None, environment: str, what: str) -> None:
    """Let through whoever sends ``Authorization: Bearer <token>``; without a token set, anyone outside
    production and nobody in it (Unauthorized, 401)."""
    token = token or None  # empty is unset
    if token is None and environment != "production":
        return
    given = request.headers.get("authorization", "").encode()
    if token is None or not hmac.compare_digest(given, f"Bearer {token}".encode()):
        raise Unauthorized(f"{what} needs its token: Authorization: Bearer …")


def client_address(request: Request) -> str:
    """The client's address: behind a configured proxy, the right-most address in X-Forwarded-For that is
    not one of ``APUA_TRUSTED_PROXIES`` (set in the scope by shared.app's proxy middleware); otherwise the
    connection's own."""
    return request.client.host if request.client else "unknown"


def cross_site(request: Request) -> bool:
    """Whether a browser sent this request from another site's page (login CSRF, a form posted from afar).

    A browser says where a request comes from in ``Sec-Fetch-Site``, and that decides. Without it (an older
    browser), ``Origin`` must be this host; the pages' ``Referrer-Policy: no-referrer`` makes browsers send
    ``Origin: null`` even from the service's own form, which only the first header can vouch for. A
    request with neither (a script, not a browser) is judged by the rest of its checks.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower()


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RedirectTo, _on_redirect)
    for text_error in UNSTORABLE_TEXT:
        app.add_exception_handler(text_error, _on_unstorable_text)
    for exc_type in CONNECTION_ERRORS:
        app.add_exception_handler(exc_type, _on_db_down)


R = TypeVar("R", bound=Response)
HSTS = b"max-age=31536000; includeSubDomains"
# A route's note to SecurityHeaders: which other origins may frame this one response. Never sent out.
FRAME_ANCESTORS_HEADER = "x-apua-frame-ancestors"
_ORIGIN = re.compile(r"https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?")


def allow_framing(response: R, origins: Iterable[str]) -> R:
    """Let ``origins`` (``https://host``, e.g. a municipality's own site) frame this response besides the service.

    With no origins nothing changes: the response keeps ``frame-ancestors 'none'``.
    """
    chosen = sorted(set(origins))
    for origin in chosen:
        if not _ORIGIN.fullmatch(origin):
            raise ValueError(f"not an https origin: {origin!r}")
    if chosen:
        response.headers[FRAME_ANCESTORS_HEADER] = " ".join(chosen)
    return response


def framed_by_municipality(response: R, municipality: Municipality | None) -> R:
    """Let the municipality's own site (its configuration's ``website_origin``) frame this response; with no
    municipality, or one without a website origin, nobody may."""
    return allow_framing(response, [municipality.website_origin] if municipality and municipality.website_origin
                         else [])


class SecurityHeaders:
    """A strict Content Security Policy (no inline script or style) and the usual hardening headers.

    Every response: ``frame-ancestors`` as given (``'none'`` by default, with ``X-Frame-Options:
    DENY``), unless the route called :func:`allow_framing`, which makes it ``'self'`` and the named
    origins (and leaves X-Frame-Options out: it cannot name other sites). HSTS when the request came
    over TLS, which behind a trusted proxy (``APUA_TRUSTED_PROXIES``) is its X-Forwarded-Proto.
    ``Cache-Control: no-store`` on everything but static files and what a route caches on purpose.
    """

    def __init__(self, app: ASGIApp, frame_ancestors: str = "'none'", form_targets: tuple[str, ...] = ()) -> None:
        self.app = app
        # A form's redirects count as its target: routing's sign-in may end on reporting's pages.
        form_action = " ".join(("'self'", *form_targets))
        self.policy = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                       f"object-src 'none'; base-uri 'none'; form-action {form_action}; frame-ancestors ")
        self.headers = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                        (b"cross-origin-opener-policy", b"same-origin")]
        self.unframed = [(b"content-security-policy", (self.policy + frame_ancestors).encode())]
        if frame_ancestors in ("'none'", "'self'"):
            self.unframed.append((b"x-frame-options", b"DENY" if frame_ancestors == "'none'" else b"SAMEORIGIN"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cross_origin = scope["path"] == "/button.js"  # municipalities' sites load it
        # Pages and answers may hold personal data (a case, a family's reply, a notification): no browser,
        # proxy or shared computer keeps a copy, unless the route chose its own caching (button.js).
        # Stylesheets, scripts and images hold none.
        cacheable = scope["path"].startswith("/static/")
        tls = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                marker = FRAME_ANCESTORS_HEADER.encode()
                raw: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                framers = [value for name, value in raw if name.lower() == marker]
                headers = [(name, value) for name, value in raw if name.lower() != marker] + self.headers
                if framers:
                    headers.append((b"content-security-policy", self.policy.encode() + b"'self' " + framers[0]))
                else:
                    headers += self.unframed
                headers.append((b"cross-origin-resource-policy", b"cross-origin" if cross_origin else b"same-origin"))
                if cacheable is False and not any(name.lower() == b"cache-control" for name, _ in raw):
                    headers.append((b"cache-control", b"no-store"))
                if tls:
                    headers.append((b"strict-transport-security", HSTS))
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
