"""One error hierarchy for every service, mapped to HTTP by :mod:`shared.http`."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the services raise on purpose."""

    status_code = 400
    code = "domain_error"

    def __init__(self, detail: str, **context: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context = context


class Unauthorized(DomainError):
    """Not signed in, or the credentials do not match."""

    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class TooManyAttempts(DomainError):
    """Rate-limited or locked for a while: 429 with Retry-After."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, detail: str, retry_after: int, **context: object) -> None:
        super().__init__(detail, **context)
        self.retry_after = retry_after


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class InvalidCommand(DomainError):
    status_code = 422
    code = "invalid_command"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


class ServiceUnavailable(DomainError):
    """The service's own database (or another part it needs right now) does not answer."""

    status_code = 503
    code = "service_unavailable"

    def __init__(self, detail: str, retry_after: int = 5, **context: object) -> None:
        super().__init__(detail, **context)
        self.retry_after = retry_after


class UndecodableEvent(Exception):
    """A record on the stream that cannot be read as an event: it goes to the dead-letter topic."""


class ConfigurationError(Exception):
    """The configuration given at start-up is wrong; the message says where."""
