"""Bogus sign-ins from a process of its own, as an outsider would send them.

``python -m tests.attacks.flood URL CLIENTS SECONDS PAUSE``: CLIENTS threads post the sign-in form with
made-up usernames and passwords until the standard input closes (SECONDS at most), each PAUSE seconds
after its last answer came (the pace of
issue 18's attack, whose every answer took a hash's time), and print how many answers of each status
came back, as JSON. Each client comes through the server's trusted proxy (127.0.0.1) from an address of
its own (``X-Forwarded-For: 198.51.100.<n>``), as a flood from many machines would. A first line,
"under way", says that the flood's first answers have come.
"""

from __future__ import annotations

import json
import secrets
import sys
import threading
import time
from collections import Counter

import httpx


def _client(url: str, n: int, until: float, pause: float, statuses: Counter[int], lock: threading.Lock,
            under_way: threading.Event, stop: threading.Event) -> None:
    with httpx.Client(base_url=url, timeout=60, headers={"X-Forwarded-For": f"198.51.100.{n + 1}"}) as client:
        while time.monotonic() < until and not stop.is_set():
            answer = client.post("/login", data={"username": f"bogus-{secrets.token_hex(4)}",
                                                  "password": secrets.token_hex(8), "next": "/", "lang": "fi"})
            with lock:
                statuses[answer.status_code] += 1
            under_way.set()
            time.sleep(pause)


def main(argv: list[str]) -> int:
    url, clients, seconds, pause = argv[0], int(argv[1]), float(argv[2]), float(argv[3])
    until = time.monotonic() + seconds
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    under_way, stop = threading.Event(), threading.Event()
    threads = [threading.Thread(target=_client, args=(url, n, until, pause, statuses, lock, under_way, stop))
               for n in range(clients)]
    for thread in threads:
        thread.start()
    under_way.wait(60)
    sys.stdout.write("under way\n")  # the first answers are in: the one who measures may start
    sys.stdout.flush()
    sys.stdin.read()  # until the one who measures is done
    stop.set()
    for thread in threads:
        thread.join()
    sys.stdout.write(json.dumps({str(k): v for k, v in statuses.items()}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
