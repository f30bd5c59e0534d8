"""The fault suite's SMTP server and SMS gateway, each a process of its own that notes what it received.

``python -m tests.faults.sinks smtp|sms PORT FILE`` appends one JSON line per message to FILE
(flushed before the message is acknowledged): the notification id notify sent it under
(``X-Apua-Notification`` / ``Message-ID`` for e-mail, ``Idempotency-Key`` for text messages),
the recipient and the time. Nothing is deduplicated here: the suite counts every copy.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

from aiosmtpd.controller import Controller


class Journal:
    """One JSON line per received message, written and flushed under a lock."""

    def __init__(self, path: Path) -> None:
        self.lock = threading.Lock()
        self.out: IO[str] = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the process's life

    def write(self, item: dict[str, Any]) -> None:
        with self.lock:
            self.out.write(json.dumps({**item, "at": time.time()}) + "\n")
            self.out.flush()


class MailSink:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        headers = BytesHeaderParser().parsebytes(envelope.content)
        self.journal.write({"id": headers.get("X-Apua-Notification"), "message_id": headers.get("Message-ID"),
                            "to": headers.get("To"), "channel": "email"})
        return "250 OK"


def sms_handler(journal: Journal) -> type[BaseHTTPRequestHandler]:
    class SmsGateway(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            journal.write({"id": self.headers.get("Idempotency-Key"), "reference": body.get("reference"),
                           "to": body.get("to"), "channel": "sms"})
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return SmsGateway


def main(kind: str, port: int, path: Path) -> int:
    journal = Journal(path)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if kind == "smtp":
        smtp = Controller(MailSink(journal), hostname="127.0.0.1", port=port)
        smtp.start()
        stop.wait()
        smtp.stop()
    else:
        http = ThreadingHTTPServer(("127.0.0.1", port), sms_handler(journal))
        threading.Thread(target=http.serve_forever, daemon=True).start()
        stop.wait()
        http.shutdown()
        http.server_close()
    return 0


@dataclass(frozen=True)
class Received:
    id: str
    channel: str
    to: str
    at: float


def read_journal(path: Path) -> list[Received]:
    if not path.exists():
        return []
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            items.append(Received(id=str(raw.get("id")), channel=raw["channel"], to=str(raw.get("to")), at=raw["at"]))
    return items


def copies(items: list[Received]) -> Counter[str]:
    return Counter(item.id for item in items)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])))
