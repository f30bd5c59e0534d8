"""For ``make run``: a local SMTP server and SMS gateway that keep every message in ``.local/mail``.

Nothing leaves the machine. Notify's development page ``/dev/mail`` shows what arrived here.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from deploy.local.infra import STATE

MAIL_DIR = STATE / "mail"


def _name(suffix: str) -> Path:
    MAIL_DIR.mkdir(parents=True, exist_ok=True)
    return MAIL_DIR / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}{suffix}"


class MailSink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        _name(".eml").write_bytes(envelope.content)
        return "250 OK"


class SmsSink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's hook
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        _name(".json").write_text(json.dumps({"to": body.get("to"), "text": body.get("text")}, ensure_ascii=False))
        self.send_response(202)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # keep numbers out of the terminal
        return


def main(smtp_port: int, sms_port: int) -> int:
    smtp = Controller(MailSink(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    http = ThreadingHTTPServer(("127.0.0.1", sms_port), SmsSink)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    http.shutdown()
    smtp.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2])))
