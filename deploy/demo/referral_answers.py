"""The receiving service's worker of the demo year: opens a referral behind its signed link and answers it there,
on routing's page (``/referral/<token>``), at the answer's planned time (the demo clock).

notify mails a service its link when a referral is sent, but a demo year's mail would be months late, and notify
does not send what is that old. The worker here holds the link notify would have mailed: signed the same way
(shared/referral_links.py, under the deployment's KEK), naming the referral, its case and service, and running out
``link_days`` after the referral was sent. Everything after that is the page's own use case, as a person uses it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx

from deploy.demo.plan import Step
from shared.referral_links import ReferralLink, sign_link
from shared.sealing import Keyring


class ServiceWorker:
    """One client for every service's worker (the page needs no sign-in); counts the answers it gave."""

    def __init__(self, routing: str, keyring: Keyring | None, link_days: int, *, timeout: float,
                 limits: httpx.Limits) -> None:
        self.keyring = keyring
        self.link_days = link_days
        self.client = httpx.AsyncClient(base_url=routing, timeout=timeout, limits=limits)
        self.answers = 0

    async def close(self) -> None:
        await self.client.aclose()

    def link(self, case_id: uuid.UUID, referral: dict[str, Any]) -> str:
        if self.keyring is None:
            raise ValueError("answering behind a link needs the deployment's keyring")
        sent_at = datetime.fromisoformat(referral["sent_at"])
        return sign_link(self.keyring, ReferralLink(
            referral_id=uuid.UUID(referral["referral_id"]), case_id=case_id, service_id=referral["service_id"],
            expires_at=(sent_at + timedelta(days=self.link_days)).replace(microsecond=0)))

    async def answer(self, case_id: uuid.UUID, referral: dict[str, Any], step: Step,
                     headers: dict[str, str]) -> str | None:
        """Open (a first answer) and answer; None when done, or what went wrong. An answer routing already has
        (409: a resumed load whose reply was lost) counts as done."""
        try:
            token = self.link(case_id, referral)
        except ValueError as exc:
            return str(exc)
        arguments = {k: str(v) for k, v in step.arguments.items() if k not in ("service_id", "reader")}
        form = {"name": str(step.arguments["reader"]), "lang": "fi"}
        if arguments["answer"] != "complete" and referral["status"] == "sent":
            opened = await self.client.post(f"/referral/{token}/open", data=form, headers=headers)
            if opened.status_code != 200:
                return f"opening answered {opened.status_code}"
        given = await self.client.post(f"/referral/{token}/answer", data={**form, **arguments}, headers=headers)
        if given.status_code == 409:
            return None
        if given.status_code != 200:
            return f"{arguments['answer']} answered {given.status_code}"
        self.answers += 1
        return None
