"""Every service publishes a complete OpenAPI document."""

from __future__ import annotations

import pytest

from tests.support import APPS, settings_for


@pytest.mark.parametrize("service,paths", [
    ("intake", {"/api/v1/requests", "/api/v1/municipalities"}),
    ("routing", {"/api/v1/cases", "/api/v1/workload"}),
    ("notify", {"/api/v1/notifications"}),
    ("reporting", {"/api/v1/tables", "/api/v1/tables/{table_id}"}),
])
def test_openapi(service: str, paths: set[str]) -> None:
    app = APPS[service](settings_for(service, prefix="p", dsn="postgresql://x@127.0.0.1:1/x", bootstrap="127.0.0.1:1"))
    spec = app.openapi()
    assert paths | {"/healthz", "/readyz"} <= set(spec["paths"])
    assert spec["info"]["title"].startswith("Pyydä apua!")


def test_request_example_and_errors_are_documented() -> None:
    app = APPS["intake"](settings_for("intake", prefix="p", dsn="postgresql://x@127.0.0.1:1/x", bootstrap="x:1"))
    post = app.openapi()["paths"]["/api/v1/requests"]["post"]
    assert {"201", "200", "404", "413", "422", "503"} <= set(post["responses"])
    schema = app.openapi()["components"]["schemas"]["NewRequest"]
    assert schema["examples"][0]["municipality"] == "raisio"


@pytest.mark.parametrize("service", ["intake", "routing", "notify", "reporting"])
def test_errors_are_documented_with_the_shape_they_have(service: str) -> None:
    """Not FastAPI's HTTPValidationError: every documented error is shared.openapi.ErrorOut (readiness aside)."""
    app = APPS[service](settings_for(service, prefix="p", dsn="postgresql://x@127.0.0.1:1/x", bootstrap="x:1"))
    spec = app.openapi()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and path != "/readyz":
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)
