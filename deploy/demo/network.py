"""``make run``'s demo network, through the real APIs: a recruitment that closed on 3 February, 160 applications
spread over its weeks (each at its own time, by the demo clock), the confirmations of those who opened the link
mailed to them, and a network coordinator's two tasks, an anonymous survey and news, with some agents answering.

The agents' mailbox is the local mail sink (``.local/mail``, deploy/local/sinks.py): an agent "opens" a link by
finding it there, as a person would in their mail. Run again, it finds the campaign and does nothing.
"""

from __future__ import annotations

import email
import email.policy
import random
import re
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx

from deploy.demo.signin import sign_in_now
from shared.businessdays import HELSINKI
from shared.democlock import DEMO_TIME_HEADER
from shared.network_events import SECTORS, THEMES
from shared.regions import Region

AGENTS = 160
OPENS, CLOSES = date(2026, 1, 5), date(2026, 2, 3)
FIRST = ["Aino", "Eero", "Helmi", "Juho", "Kaisa", "Lauri", "Maija", "Niilo", "Oona", "Pekka", "Riikka", "Sami",
         "Tuula", "Ville", "Anna", "Erik", "Johanna", "Mikael", "Sara", "Henrik"]
LAST = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Laine", "Heikkinen", "Koskinen", "Järvinen", "Lehtonen",
        "Saarinen", "Lindholm", "Sundström", "Grönroos", "Holmberg"]
ORGANISATIONS = {"municipality": "kaupunki", "county": "hyvinvointialue", "school": "koulu", "ngo": "yhdistys",
                 "parish": "seurakunta", "business": "yritys", "family": "perhe", "other": "verkosto"}
MAIL_WAIT_S = 90.0


def _links(mail_dir: Path, pattern: str, seen: set[Path]) -> dict[str, str]:
    """The links of ``pattern`` in mail not read before, by recipient."""
    found: dict[str, str] = {}
    for path in sorted(mail_dir.glob("*.eml")) if mail_dir.exists() else []:
        if path in seen:
            continue
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        match = re.search(pattern, body.get_content() if body is not None else "")
        if match:
            seen.add(path)
            found[str(message["To"])] = match.group(1)
    return found


def _wait_for(mail_dir: Path, pattern: str, addresses: set[str], seen: set[Path]) -> dict[str, str]:
    found: dict[str, str] = {}
    deadline = time.monotonic() + MAIL_WAIT_S
    while time.monotonic() < deadline and not addresses <= set(found):
        found |= {k: v for k, v in _links(mail_dir, pattern, seen).items() if k in addresses}
        time.sleep(0.5)
    return found


def _settled(mail_dir: Path, pattern: str, seen: set[Path], quiet_s: float = 3.0) -> dict[str, str]:
    """The links of ``pattern`` in new mail, once some have come and no more came for ``quiet_s`` seconds."""
    found: dict[str, str] = {}
    deadline, last = time.monotonic() + MAIL_WAIT_S, time.monotonic()
    while time.monotonic() < deadline:
        more = _links(mail_dir, pattern, seen)
        if more:
            found |= more
            last = time.monotonic()
        elif found and time.monotonic() - last > quiet_s:
            break
        time.sleep(0.5)
    return found


def load_network(region: Region, *, network: str, routing: str, coordinator: str, password: str, mail_dir: Path,
                 open_campaign: Callable[[date, date], None], seed: int = 2026, agents: int = AGENTS,
                 report: Callable[[str], None] = lambda line: None) -> int:
    """Load the demo network of ``region``; the number of agents who applied (0 when it was there already)."""
    rng = random.Random(seed)
    with httpx.Client(base_url=network, timeout=30) as net:
        if net.get(f"/api/v1/recruitment/{region.id}").status_code == 200:
            return 0
        open_campaign(OPENS, CLOSES)
        seen: set[Path] = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()
        applied: dict[str, datetime] = {}
        municipalities = [m.id for m in region.municipalities]
        for n in range(agents):
            at = datetime.combine(OPENS, datetime.min.time(), tzinfo=HELSINKI) + timedelta(
                seconds=rng.randrange(int((CLOSES - OPENS).days * 86400 + 86399)))
            sector = rng.choice(SECTORS)
            address = f"agentti{n + 1}@example.fi"
            body = {"submission_id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "municipality": rng.choice(municipalities[: max(3, len(municipalities) - 5)]),
                    "language": "sv" if rng.random() < 0.12 else "fi",
                    "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "email": address,
                    "organisation": f"{rng.choice(LAST)}n {ORGANISATIONS[sector]}", "sector": sector,
                    "themes": rng.sample(THEMES, rng.randint(1, 3)), "languages": ["fi"] + (
                        ["sv"] if rng.random() < 0.3 else []), "why": "Haluan, että perheet löytävät avun ajoissa.",
                    "consent": True}
            net.post("/api/v1/applications", json=body,
                     headers={DEMO_TIME_HEADER: at.isoformat()}).raise_for_status()
            applied[address] = at
        report(f"{agents} applications between {OPENS} and {CLOSES}")
        confirming = {a for a in applied if rng.random() < 0.9}
        tokens = _wait_for(mail_dir, r"/confirm\?token=([A-Za-z0-9_-]+)", confirming, seen)
        for address, token in tokens.items():
            at = applied[address] + timedelta(hours=rng.randint(1, 48))
            net.post("/api/v1/confirmations", json={"token": token},
                     headers={DEMO_TIME_HEADER: min(at, datetime.now(HELSINKI)).isoformat()}).raise_for_status()
        report(f"{len(tokens)} agents confirmed their address")
        _coordinate(net, routing, coordinator, password, mail_dir, seen, set(tokens), rng)
        report("two tasks, an anonymous survey and news sent; some agents answered")
    return agents


def _coordinate(net: httpx.Client, routing: str, coordinator: str, password: str, mail_dir: Path, seen: set[Path],
                agents: set[str], rng: random.Random) -> None:
    """The network coordinator signs in at routing, is passed on, and publishes; agents answer from their mail."""
    with httpx.Client(base_url=routing, timeout=30) as staff:
        sign_in_now(staff, coordinator, password).raise_for_status()
        # The network takes a pass once its projection of the staff directory knows the account: a fresh pass
        # each try, for a few seconds.
        for _ in range(60):
            to_network = staff.get("/pass/network")
            if to_network.status_code != 303:
                raise httpx.HTTPError(f"routing gave no pass to the network ({to_network.status_code})")
            if net.get(f"/auth/pass?{to_network.headers['location'].split('?', 1)[1]}").status_code == 303:
                break
            time.sleep(0.5)
        else:
            raise httpx.HTTPError("the network did not take routing's pass")
    # Every coordinator's form carries the session's CSRF token, as the pages' forms do.
    found = re.search(r'name="csrf" value="([^"]+)"', net.get("/tasks/new").text)
    if found is None:
        raise httpx.HTTPError("the network's form has no CSRF token")
    csrf = {"csrf": found.group(1)}
    due = (date.today() + timedelta(days=21)).isoformat()
    for title_fi, title_sv, segment in (
            ("Kerro napista vanhempainillassa", "Berätta om knappen på föräldramötet", {"sectors": ["school"]}),
            ("Jaa napin linkki kunnan somessa", "Dela knappens länk i kommunens sociala medier",
             {"sectors": ["municipality", "county"]})):
        net.post("/tasks", data={**csrf, "lang": "fi", "title_fi": title_fi, "title_sv": title_sv,
                                 "brief_fi": "Kerro perheille, mistä apua saa.",
                                 "brief_sv": "Berätta för familjerna var de får hjälp.", "due": due, **segment})
    net.post("/surveys", data={
        **csrf, "lang": "fi", "title_fi": "Napin näkyvyys kunnassasi", "title_sv": "Knappens synlighet i din kommun",
        "anonymous": "yes", "due": due, "q0_kind": "scale", "q0_text_fi": "Kuinka hyvin nappi näkyy?",
        "q0_text_sv": "Hur väl syns knappen?", "q1_kind": "single", "q1_text_fi": "Onko nappi kunnan etusivulla?",
        "q1_text_sv": "Finns knappen på kommunens startsida?", "q1_options_fi": "Kyllä\nEi\nEn tiedä",
        "q1_options_sv": "Ja\nNej\nVet inte", "q2_kind": "text", "q2_text_fi": "Mitä muuta haluat kertoa?",
        "q2_text_sv": "Vad vill du berätta mer?"})
    net.post("/news", data={**csrf, "lang": "fi", "title_fi": "Nappi on nyt 27 kunnassa",
                            "title_sv": "Knappen finns nu i 27 kommuner",
                            "body_fi": "Kiitos, agentit! Nappi löytyy nyt jokaisen kunnan sivuilta.",
                            "body_sv": "Tack, agenter! Knappen finns nu på varje kommuns webbplats."})
    for path in _settled(mail_dir, r"(/t/[A-Za-z0-9_-]+)", seen).values():
        if rng.random() < 0.7:
            net.post(path, data={"action": "accept", "lang": "fi"})
            net.post(path, data={"action": "report", "lang": "fi", "reached": str(rng.randint(3, 60))})
    for path in _settled(mail_dir, r"(/s/[A-Za-z0-9_-]+)", seen).values():
        if rng.random() < 0.75:
            net.post(path, data={"lang": "fi", "a0": str(rng.randint(2, 5)), "a1": str(rng.randrange(3))})
