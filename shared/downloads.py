"""The ``Content-Disposition`` of a file a page offers for download, safe whatever its name holds.

A file's name is made of what people chose (a reference typed into a search, a team's or a region's name):
a CR LF in it once made a header that the server refused with a 500, and a character outside Latin-1 did
the same. The header is built here, once: a plain ASCII ``filename`` for old clients and, as RFC 6266 and
RFC 5987 say, the name as written in ``filename*=UTF-8''…``, percent-encoded so that nothing in it can end
the header or the parameter.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

FALLBACK = "download"
_NOT_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _readable(filename: str) -> str:
    """The name without control, format (bidirectional) or unassigned characters, and without path separators."""
    kept = "".join(ch for ch in filename if not unicodedata.category(ch).startswith("C"))
    return kept.replace("/", "_").replace("\\", "_").strip() or FALLBACK


def ascii_filename(filename: str) -> str:
    """``filename`` in letters, digits, dots, dashes and underscores: 'Åbo "x".csv' -> 'Abo_x_.csv'."""
    decomposed = unicodedata.normalize("NFKD", _readable(filename)).encode("ascii", "ignore").decode()
    return _NOT_SAFE.sub("_", decomposed).strip("._") or FALLBACK


def content_disposition(filename: str) -> str:
    """``attachment`` with both forms of the name: the ASCII one, and the UTF-8 one percent-encoded."""
    encoded = quote(_readable(filename), safe="")
    return f"attachment; filename=\"{ascii_filename(filename)}\"; filename*=UTF-8''{encoded}"


def attachment(filename: str) -> dict[str, str]:
    """The headers that make an answer a download called ``filename``."""
    return {"Content-Disposition": content_disposition(filename)}
