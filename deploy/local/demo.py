"""Demo requests for a local run, sent through intake's real API like a family's browser would."""

from __future__ import annotations

import random
import uuid

import httpx

MESSAGES = {
    "fi": [
        "Lapsemme ei ole halunnut mennä kouluun kahteen viikkoon. Mistä saisimme apua?",
        "Erosimme keväällä ja lapset oireilevat. Haluaisin jutella jonkun kanssa.",
        "Olen väsynyt vauva-arkeen enkä jaksa. Mihin voin ottaa yhteyttä?",
        "Muutimme juuri paikkakunnalle. Mitä palveluja lapsiperheille on?",
        "Teini-ikäinen on ahdistunut ja nukkuu huonosti. Tarvitsemmeko lähetteen?",
    ],
    "sv": [
        "Vårt barn har svårt att somna och är ofta argt. Vart kan vi vända oss?",
        "Vi har flyttat hit och söker familjerådgivning på svenska.",
    ],
    "en": [
        "We moved to Finland last year and need help finding a child health clinic.",
        "My son has been very anxious since the divorce. Who can we talk to?",
    ],
}
ROLES = ["parent", "parent", "parent", "child", "relative", "professional"]
TOPICS = ["finding_services", "family_change", "parent_coping", "child_emotions", "child_mental_wellbeing", None]


def demo_request(rng: random.Random, municipality: str, languages: list[str]) -> dict[str, object]:
    language = rng.choice([*languages, "en"]) if rng.random() < 0.3 else languages[0]
    method = rng.choice(["phone", "phone", "sms", "email", "anonymous", "anonymous"])
    contact: dict[str, str] = {"method": method}
    if method in ("phone", "sms"):
        contact["phone"] = f"+358 40 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    elif method == "email":
        contact["email"] = f"perhe{rng.randint(1, 999)}@example.fi"
    return {
        "submission_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "municipality": municipality,
        "language": language,
        "requester_role": rng.choice(ROLES),
        "topic": rng.choice(TOPICS),
        "message": rng.choice(MESSAGES[language]),
        "contact": contact,
    }


def seed(intake_url: str, count: int = 40, seed_value: int = 2026) -> int:
    """Post ``count`` requests spread over the configured municipalities; returns how many were accepted."""
    rng = random.Random(seed_value)
    with httpx.Client(base_url=intake_url, timeout=10) as client:
        municipalities = client.get("/api/v1/municipalities").raise_for_status().json()
        accepted = 0
        for _ in range(count):
            m = rng.choice(municipalities)
            response = client.post("/api/v1/requests", json=demo_request(rng, m["id"], m["languages"]))
            accepted += response.status_code in (200, 201)
    return accepted
