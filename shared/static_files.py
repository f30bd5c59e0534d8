"""A service's ``/static``: its own files, then the files it shares with other services.

The family's pages of intake and of the network share one stylesheet (``shared/static/family/family.css``),
each service adding a small one of its own. Both are served under ``/static/`` from the service's own origin,
so the Content Security Policy's ``style-src 'self'`` admits them and shared.http.SecurityHeaders lets browsers
cache them like every other static file (no ``no-store``).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

SHARED_STATIC = Path(__file__).resolve().parent / "static"
FAMILY = SHARED_STATIC / "family"


class LayeredStaticFiles(StaticFiles):
    """Static files looked up in ``directories`` in order: the first that holds a path serves it."""

    def __init__(self, *directories: Path) -> None:
        self.layers = list(directories)
        super().__init__(directory=directories[0])
        for directory in directories[1:]:
            if not directory.is_dir():
                raise RuntimeError(f"Directory '{directory}' does not exist")

    def get_directories(self, directory: str | os.PathLike[str] | None = None,
                        packages: list[str | tuple[str, str]] | None = None) -> list[str | os.PathLike[str]]:
        return list(self.layers)


def mount_static(app: FastAPI, own: Path, *shared: Path) -> None:
    """``/static`` on ``app``: the service's ``own`` directory first, then each ``shared`` one."""
    app.mount("/static", LayeredStaticFiles(own, *shared), name="static")
