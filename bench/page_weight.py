"""The weight of the family's pages: each page and the stylesheets and scripts it links, as sent and gzipped.

``python -m bench.page_weight [--url http://127.0.0.1:8010]``: against a running intake (``make run``), or,
without ``--url``, against one started here on free ports with its own Kafka and PostgreSQL (the fault suite's
:class:`~tests.faults.system.System`). A browser fetches a page's files once and keeps them (``/static/`` is
cacheable, see shared.http.SecurityHeaders), so the first visit is the page plus its files, a later page of the
same service the page alone. Figures are bytes of the bodies, without HTTP headers.
"""

from __future__ import annotations

import argparse
import gzip
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

# What a family opens: the form in each language, the status page, the privacy and accessibility pages.
PAGES = ("/m/raisio?lang=fi", "/m/raisio?lang=sv", "/m/raisio?lang=en", "/status?lang=fi", "/privacy?lang=fi",
         "/accessibility?lang=fi")
_LINKED = re.compile(r'<link rel="stylesheet" href="(/[^"]+)"|<script src="(/[^"]+)"')


@dataclass(frozen=True)
class Weight:
    path: str
    page: int
    page_gzip: int
    assets: dict[str, int]
    assets_gzip: int

    @property
    def first_visit(self) -> int:
        return self.page + sum(self.assets.values())

    @property
    def first_visit_gzip(self) -> int:
        return self.page_gzip + self.assets_gzip


def linked_assets(html: str) -> list[str]:
    """The same-origin stylesheets and scripts a page links, in its order, each once."""
    found = [css or js for css, js in _LINKED.findall(html)]
    return list(dict.fromkeys(found))


def gzipped(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6, mtime=0))


def weigh(client: httpx.Client, path: str) -> Weight:
    """One page and the files it links, fetched as a browser on its first visit would."""
    page = client.get(path)
    page.raise_for_status()
    bodies = {}
    for asset in linked_assets(page.text):
        answer = client.get(asset)
        answer.raise_for_status()
        bodies[asset] = answer.content
    return Weight(path=path, page=len(page.content), page_gzip=gzipped(page.content),
                  assets={a: len(b) for a, b in bodies.items()}, assets_gzip=sum(gzipped(b) for b in bodies.values()))


def table(weights: list[Weight]) -> str:
    lines = ["| page | page, bytes (gzip) | linked files | first visit, bytes (gzip) |", "| --- | ---: | --- | ---: |"]
    for w in weights:
        files = ", ".join(f"{a.rsplit('/', 1)[-1]} {n:,}" for a, n in w.assets.items())
        lines.append(f"| `{w.path}` | {w.page:,} ({w.page_gzip:,}) | {files} "
                     f"| {w.first_visit:,} ({w.first_visit_gzip:,}) |")
    return "\n".join(lines)


@contextmanager
def started_intake() -> Iterator[str]:
    """Intake alone, with its own Kafka and PostgreSQL on free ports; yields its address."""
    from tests.faults.system import System  # the test suite's process harness, only when no URL was given

    root = Path(tempfile.mkdtemp(prefix="apua-weight-"))
    system = System(root, prefix="weight")
    try:
        system.start_infra()
        system.start("intake")
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(system.url("intake") + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("intake did not become ready")
            time.sleep(0.5)
        yield system.url("intake")
    finally:
        system.shutdown()
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page_weight", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running intake (default: start one with its own Kafka and PostgreSQL)")
    args = parser.parse_args()
    with started_intake() if args.url is None else _given(args.url) as url, httpx.Client(base_url=url) as client:
        sys.stdout.write(table([weigh(client, path) for path in PAGES]) + "\n")
    return 0


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


if __name__ == "__main__":
    raise SystemExit(main())
