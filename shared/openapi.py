"""What the OpenAPI documents say about errors: the one error shape of :mod:`shared.http`.

Every error a service answers on purpose is ``{"error": code, "detail": sentence, ...named values}``,
and a request that fails validation adds ``fields``. Routes name their errors with :func:`errors`,
so the documents describe the bodies the services really send (FastAPI's default 422 schema,
``HTTPValidationError``, is not what they send).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class FieldProblem(BaseModel):
    field: str = Field(description="the field, dotted for a nested one; 'body' for the body as a whole")
    problem: str


class ErrorOut(BaseModel):
    """An error: a code, a sentence, and the values it names (such as ``current_version``)."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="a code: validation_failed, not_signed_in, not_found, conflict, …")
    detail: str = Field(description="a sentence saying what is wrong")
    fields: list[FieldProblem] | None = Field(default=None, description="validation_failed: each field's problem")


# Where a route's own answers are not JSON (/metrics), its errors name the shape by reference.
ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorOut"}


def errors(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status with its description and the error shape."""
    return {status: {"model": ErrorOut, "description": description} for status, description in described.items()}
