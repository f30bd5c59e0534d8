"""``/static``: a service's own files, then the shared ones (the family stylesheet), and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared.static_files import FAMILY, mount_static

ROOT = Path(__file__).resolve().parents[2]


def client(own: Path, *shared: Path) -> TestClient:
    app = FastAPI()
    mount_static(app, own, *shared)
    return TestClient(app)


def test_own_files_first_then_shared_ones(tmp_path: Path) -> None:
    own, shared = tmp_path / "own", tmp_path / "shared"
    own.mkdir()
    shared.mkdir()
    (own / "a.css").write_text("own a")
    (shared / "a.css").write_text("shared a")
    (shared / "b.css").write_text("shared b")
    (tmp_path / "secret.txt").write_text("not served")
    c = client(own, shared)
    assert c.get("/static/a.css").text == "own a"
    assert c.get("/static/b.css").text == "shared b"
    assert c.get("/static/c.css").status_code == 404
    assert c.get("/static/../secret.txt").status_code == 404


def test_a_missing_shared_directory_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        client(tmp_path, tmp_path / "nowhere")


@pytest.mark.parametrize("service", ["intake", "network"])
def test_the_family_pages_get_the_family_stylesheet_and_their_own(service: str) -> None:
    c = client(ROOT / "services" / service / "static", FAMILY)
    family = c.get("/static/family.css")
    own = c.get(f"/static/{service}.css")
    assert family.status_code == own.status_code == 200
    assert family.headers["content-type"].startswith("text/css")
    assert "header.site" in family.text and "header.site" not in own.text
    base = (ROOT / "services" / service / "templates" / "base.html").read_text()
    # The shared sheet first, so the service's own rules come after it in the cascade.
    assert base.index("/static/family.css") < base.index(f"/static/{service}.css")
