"""``make run``: Kafka, PostgreSQL, the five services and a demo year on this machine; Ctrl-C stops it all."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date, datetime
from pathlib import Path

import httpx

from deploy.demo.drive import DemoLoadFailed, load_year, staff_of
from deploy.demo.network import load_network
from deploy.demo.signin import sign_in_now
from deploy.local.infra import ROOT, STATE, local_kafka, local_postgres, port_open
from deploy.local.sinks import MAIL_DIR
from shared.businessdays import HELSINKI
from shared.regions import load_regions
from shared.settings import ServiceSettings

SERVICES = {"intake": 8010, "routing": 8020, "notify": 8030, "reporting": 8040, "network": 8050}
DEMO_PASSWORD = "demo-salasana-2026"  # development only: make run's own accounts
DEMO_ACCOUNTS: list[tuple[str, str, str, str, str | None]] = [
    ("koordinaattori", "Kaisa Koordinaattori", "coordinator", "varsinais-suomi", None),
    ("ohjaaja", "Outi Palveluohjaaja", "professional", "varsinais-suomi", "family-guidance"),
    ("perhetyo", "Pekka Perhetyöntekijä", "professional", "varsinais-suomi", "family-work"),
    ("esihenkilo", "Eeva Esihenkilö", "manager", "varsinais-suomi", None),
    ("yllapito", "Ylle Ylläpitäjä", "admin", "varsinais-suomi", None),
    ("oulu-koordinaattori", "Olli Koordinaattori", "coordinator", "pohjois-pohjanmaa", None),
    # One professional more for each team the demo year sends cases to.
    ("ohjaaja2", "Sami Palveluohjaaja", "professional", "varsinais-suomi", "family-guidance"),
    ("neuvola", "Nelli Terveydenhoitaja", "professional", "varsinais-suomi", "child-health-clinic"),
    ("perheneuvoja", "Paula Perheneuvoja", "professional", "varsinais-suomi", "family-counselling"),
    ("oulu-ohjaaja", "Oona Palveluohjaaja", "professional", "pohjois-pohjanmaa", "family-service-guidance"),
    ("oulu-perhetyo", "Pirjo Perhetyöntekijä", "professional", "pohjois-pohjanmaa", "family-work"),
    # The change agents' network's coordinator: no case in routing, the network's registry after signing in.
    ("verkosto", "Veera Verkostokoordinaattori", "network_coordinator", "varsinais-suomi", None),
]
# The demo year per region: requests a year per 1,000 children (the pilots' rate; less where a sample will do).
DEMO_YEAR = {"varsinais-suomi": 12.0, "pohjois-pohjanmaa": 3.0}
DEMO_SEED = 2026


def seed_accounts(env: dict[str, str]) -> None:
    """The demo region's staff, through the same admin command a region would use."""
    for username, name, role, region, team in DEMO_ACCOUNTS:
        domain = "varha.example" if region == "varsinais-suomi" else "pohde.example"
        argv = [sys.executable, "-m", "services.routing", "users", "add", "--username", username, "--name", name,
                "--role", role, "--region", region, "--email", f"{username}@{domain}"]
        argv += ["--team", team] if team else []
        done = subprocess.run(argv, env={**env, "APUA_NEW_PASSWORD": DEMO_PASSWORD}, cwd=ROOT,
                              capture_output=True, text=True)
        if done.returncode != 0 and "exists already" not in done.stderr:
            raise RuntimeError(f"could not add the demo account {username}: {done.stderr.strip()}")


def load_directories(env: dict[str, str]) -> None:
    """Each demo region's service directory from PTV answers recorded earlier (deploy/demo/ptv/), through the same
    ``directory sync`` a region runs against PTV; a second start publishes nothing that did not change."""
    for region in DEMO_YEAR:
        bundle = ROOT / "deploy" / "demo" / "ptv" / f"{region}.json"
        done = subprocess.run([sys.executable, "-m", "services.routing", "directory", "sync", "--region", region,
                               "--from-file", str(bundle)], env=env, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"could not load the demo directory of {region}: {done.stderr.strip()}")
        print(done.stdout.strip())  # noqa: T201


def port_of(service: str) -> int:
    return int(os.environ.get(f"APUA_{service.upper()}_PORT", SERVICES[service]))


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not become ready in {timeout:.0f} s; see {STATE / 'logs'}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    kafka, pg = local_kafka(), local_postgres()
    started_infra = []
    for name, part in (("PostgreSQL", pg), ("Kafka", kafka)):
        if port_open(part.port):
            print(f"{name} already answers on port {part.port}")  # noqa: T201
        else:
            took = part.start()
            started_infra.append(part)
            print(f"{name} up on 127.0.0.1:{part.port} in {took:.1f} s")  # noqa: T201
    smtp_port, sms_port = int(os.environ.get("APUA_SMTP_PORT", "8025")), int(os.environ.get("APUA_SMS_PORT", "8026"))
    env = {"APUA_SUBMIT_LIMIT": "100000", "APUA_STATUS_LIMIT": "100000",  # the demo year comes from one client
           "APUA_DEMO_CLOCK": "true",  # development only: the demo year is recorded at its own times
           "APUA_SMS_URL": f"http://127.0.0.1:{sms_port}/sms",
           **os.environ, "PYTHONPATH": str(ROOT), "APUA_KAFKA_BOOTSTRAP": kafka.bootstrap,
           "APUA_DATABASE_URL": pg.dsn.rsplit("/", 1)[0] + "/apua"}
    logs = STATE / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    seed_accounts(env)
    load_directories(env)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(subprocess.Popen([sys.executable, "-m", "deploy.local.sinks", str(smtp_port), str(sms_port)],
                                      env=env, cwd=ROOT))
        for service in SERVICES:
            log_file = open(logs / f"{service}.log", "ab")  # noqa: SIM115 - owned by the child
            procs.append(subprocess.Popen([sys.executable, "-m", f"services.{service}"], env=env, cwd=ROOT,
                                          stdout=log_file, stderr=subprocess.STDOUT))
        urls = {s: f"http://127.0.0.1:{port_of(s)}" for s in SERVICES}
        for url in urls.values():
            wait_ready(url)
        print(_banner(urls, logs))  # noqa: T201
        load_demo_years(urls)
        load_demo_network(urls, env)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print("a service stopped; see its log in", logs)  # noqa: T201
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        print("\nstopping the services, Kafka and PostgreSQL")  # noqa: T201
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        for part in reversed(started_infra):
            part.stop()


def load_demo_network(urls: dict[str, str], env: dict[str, str]) -> None:
    """The change agents' demo network in Varsinais-Suomi, through the network's and routing's APIs."""
    region = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]

    def open_campaign(opens: date, closes: date) -> None:
        subprocess.run([sys.executable, "-m", "services.network", "campaigns", "open", "--region", region.id,
                        "--opens", opens.isoformat(), "--closes", closes.isoformat()], env=env, cwd=ROOT, check=True,
                       capture_output=True)

    try:
        loaded = load_network(region, network=urls["network"], routing=urls["routing"], coordinator="verkosto",
                              password=DEMO_PASSWORD, mail_dir=MAIL_DIR, open_campaign=open_campaign,
                              report=lambda line: print("  " + line, flush=True))  # noqa: T201
    except (httpx.HTTPError, subprocess.CalledProcessError) as exc:
        print(f"the demo network stopped: {exc!r}")  # noqa: T201
        return
    if loaded:
        print(f"the demo network: {loaded} agents applied through the recruitment form's API")  # noqa: T201


def has_cases(routing: str, region: str) -> bool:
    """Whether the region's demo coordinator sees any case (open or closed) in routing."""
    coordinator, _ = staff_of(DEMO_ACCOUNTS, region)
    with httpx.Client(base_url=routing, timeout=10) as client:
        sign_in_now(client, coordinator, DEMO_PASSWORD).raise_for_status()
        cases = client.get("/api/v1/cases", params={"status": "all", "limit": 1}).raise_for_status().json()
    return bool(cases)


def load_demo_years(urls: dict[str, str]) -> None:
    """A year of requests and the staff's work for each demo region that has no cases yet.

    A load that was interrupted (Ctrl-C) is resumed at the next start, with the same end date: its
    marker in ``.local/`` says so. A region with cases and no marker is left alone.
    """
    served = [r.strip() for r in os.environ.get("APUA_REGIONS", "").split(",") if r.strip()]
    regions = load_regions(ROOT / "deploy" / "regions", served or None)
    for region_id, per_1000 in DEMO_YEAR.items():
        region = regions.by_id.get(region_id)
        marker = STATE / f"demo-year-{region_id}.json"
        started = json.loads(marker.read_text()) if marker.exists() else None
        if region is None or started is not None and started["complete"]:
            continue
        if started is None and has_cases(urls["routing"], region_id):
            continue  # loaded before this marker existed, or by hand
        end = date.fromisoformat(started["end"]) if started else datetime.now(HELSINKI).date()
        marker.write_text(json.dumps({"end": end.isoformat(), "complete": False}))
        print(f"{'resuming' if started else 'loading'} a demo year for {region_id} through the APIs; "  # noqa: T201
              "the services are usable meanwhile")
        try:
            loaded = asyncio.run(load_year(
                region, end=end, seed=DEMO_SEED, intake=urls["intake"], routing=urls["routing"],
                accounts=DEMO_ACCOUNTS, password=DEMO_PASSWORD, per_1000_children=per_1000,
                report=lambda line: print("  " + line, flush=True),  # noqa: T201
                keyring=ServiceSettings().keyring))  # the services' KEKs: the same environment
        except (DemoLoadFailed, httpx.HTTPError) as exc:  # the services stay up; the next start resumes
            print(f"the demo year for {region_id} stopped: {exc!r}")  # noqa: T201
            continue
        marker.write_text(json.dumps({"end": end.isoformat(), "complete": True}))
        print(f"{region_id}: {loaded.cases} requests, {loaded.commands} staff commands, "  # noqa: T201
              f"{loaded.referral_answers} referral answers behind the services' links, "
              f"{loaded.feedback} feedback answers in {loaded.seconds:.0f} s")


def _accounts() -> str:
    lines = []
    for region in dict.fromkeys(a[3] for a in DEMO_ACCOUNTS):
        people = ", ".join(f"{u} ({team or role})" for u, _, role, r, team in DEMO_ACCOUNTS if r == region)
        lines.append(textwrap.fill(f"{region}: {people}", width=110, initial_indent=" " * 6,
                                   subsequent_indent=" " * 8, break_on_hyphens=False))
    return "\n".join(lines)


def _banner(urls: dict[str, str], logs: Path) -> str:
    return f"""
Pyydä apua! runs on this machine. Ctrl-C stops everything.

  The button on a municipality's page {urls['intake']}/demo/raisio
                                    {urls['intake']}/demo/naantali?lang=sv
                                    {urls['intake']}/demo/oulu
  The form                          {urls['intake']}/m/rusko
  Read the answer (pick-up code)    {urls['intake']}/status
  Every municipality                {urls['intake']}/
  Intake API (families' requests)   {urls['intake']}/docs
  Municipalities                    {urls['intake']}/api/v1/municipalities
  Staff sign-in (routing)           {urls['routing']}/login
      password for every demo account: {DEMO_PASSWORD}
{_accounts()}
  Routing API                       {urls['routing']}/docs
  Messages sent (mail and SMS sink) {urls['notify']}/dev/mail
  Notifications and their delivery  {urls['notify']}/api/v1/notifications
  The region's dashboards           {urls['reporting']}/overview  (esihenkilo, koordinaattori, yllapito)
  Readiness (lag, outbox)           {urls['routing']}/readyz
  The change agents' network        {urls['network']}/  (recruitment: {urls['network']}/join/raisio)

  Logs: {logs}/<service>.log
"""


if __name__ == "__main__":
    sys.exit(main())
