"""``make run``: Kafka, PostgreSQL, the four services and a demo region on this machine; Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from deploy.local.demo import seed
from deploy.local.infra import ROOT, STATE, local_kafka, local_postgres, port_open

SERVICES = {"intake": 8010, "routing": 8020, "notify": 8030, "reporting": 8040}
DEMO_PASSWORD = "demo-salasana-2026"  # development only: make run's own accounts
DEMO_ACCOUNTS = [
    ("koordinaattori", "Kaisa Koordinaattori", "coordinator", "varsinais-suomi", None),
    ("ohjaaja", "Outi Palveluohjaaja", "professional", "varsinais-suomi", "family-guidance"),
    ("perhetyo", "Pekka Perhetyöntekijä", "professional", "varsinais-suomi", "family-work"),
    ("esihenkilo", "Eeva Esihenkilö", "manager", "varsinais-suomi", None),
    ("yllapito", "Ylle Ylläpitäjä", "admin", "varsinais-suomi", None),
    ("oulu-koordinaattori", "Olli Koordinaattori", "coordinator", "pohjois-pohjanmaa", None),
]


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
    env = {"APUA_SUBMIT_LIMIT": "1000",  # the demo data comes from one client; families get the real limit
           "APUA_SMS_URL": f"http://127.0.0.1:{sms_port}/sms",
           **os.environ, "PYTHONPATH": str(ROOT), "APUA_KAFKA_BOOTSTRAP": kafka.bootstrap,
           "APUA_DATABASE_URL": pg.dsn.rsplit("/", 1)[0] + "/apua"}
    logs = STATE / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    seed_accounts(env)
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
        stats = httpx.get(f"{urls['reporting']}/api/v1/stats").json()
        if stats["total"] == 0:
            print(f"demo data: {seed(urls['intake'])} requests sent through intake")  # noqa: T201
        print(_banner(urls, logs))  # noqa: T201
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
      {', '.join(f"{u} ({r})" for u, _, r, _, _ in DEMO_ACCOUNTS)}
  Routing API                       {urls['routing']}/docs
  Messages sent (mail and SMS sink) {urls['notify']}/dev/mail
  Notifications and their delivery  {urls['notify']}/api/v1/notifications
  Statistics per municipality       {urls['reporting']}/api/v1/stats
  Readiness (lag, outbox)           {urls['routing']}/readyz

  Logs: {logs}/<service>.log
"""


if __name__ == "__main__":
    sys.exit(main())
