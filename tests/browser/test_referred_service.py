"""The family's status page names the PTV service they were referred to with every way to reach it: its phones,
web pages and places' addresses in the page's language (PTV's Finnish where it has no other), its regular hours and
its exceptional ones of the coming weeks. In Finnish, Swedish and English; axe-core finds nothing at 320 and
1,366 px, and nothing scrolls sideways, with PTV's long Finnish words and a long address of a web page."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from babel.dates import format_date
from playwright.async_api import Browser, expect

from shared.businessdays import HELSINKI
from shared.codec import encode
from shared.directory import (
    Channels,
    DirectoryRecord,
    DirectoryService,
    ExceptionalHours,
    Hours,
    Phone,
    Place,
    ServiceHours,
    Texts,
    WebPage,
    record_headers,
)
from shared.events import ReferralSent, new_event
from shared.events_referrals import ReferralSentPayload
from shared.sealing import Sealed
from shared.topics import cases_topic, directory_topic
from tests.browser.test_accounts import checked
from tests.support import produce, request_body

pytestmark = pytest.mark.browser
REGION = "varsinais-suomi"
SERVICE_ID = "7c2e9a51-0d3b-5f6e-a8c4-2b1d0e9f8a77"
LONG_URL = ("https://www.varha.fi/fi/palvelut/lapsiperheiden-palvelut/perheneuvolapalvelut-ja-kasvatus-ja-"
            "perheneuvonnan-ajanvarausjarjestelma?kunta=raisio&kieli=fi&palvelu=perheneuvola")
WORD = "Lastensuojelunperhetyönpalveluohjausyksikkö"  # a long Finnish compound, as PTV names things


def the_service(today: datetime) -> DirectoryService:
    """A PTV service with Finnish and Swedish words (no English), two phones, a long web address and a place with a
    holiday closure next week, other hours in two weeks and a closure long past."""
    day = today.astimezone(HELSINKI).date()
    soon, later = day + timedelta(days=7), day + timedelta(days=14)
    weekdays = (ServiceHours(hours=(Hours(day_from="monday", day_to="friday", opens="08:00", closes="16:00"),
                                    Hours(day_from="saturday", closed=True))),)
    return DirectoryService(
        id=SERVICE_ID, region=REGION, source="ptv", kind="county",
        names=Texts(fi=f"Perheneuvola – {WORD}", sv="Familjerådgivning"), languages=("fi", "sv"),
        channels=Channels(
            phones=(Phone(number="+358 2 2626 1500", description=Texts(fi="Ajanvaraus ja neuvonta",
                                                                        sv="Tidsbokning och rådgivning"),
                          hours=(ServiceHours(hours=(Hours(day_from="monday", day_to="thursday", opens="09:00",
                                                           closes="11:30"),)),)),
                    Phone(number="+358 40 123 4567", description=Texts(fi="Tekstiviestit"))),
            web_pages=(WebPage(url=LONG_URL),
                       WebPage(url="https://www.varha.fi/sv/tjanster/familjeradgivning",
                               name=Texts(fi="Perheneuvola verkossa", sv="Familjerådgivningen på webben"))),
            places=(Place(name=Texts(fi=f"Raision {WORD.lower()}", sv="Reso familjerådgivning"),
                          street=Texts(fi="Tahvontie 7", sv="Tahvovägen 7"), postal_code="21200",
                          post_office=Texts(fi="Raisio", sv="Reso"), municipality="raisio", hours=weekdays,
                          exceptions=(
                              ExceptionalHours(day_from=day - timedelta(days=60), day_to=day - timedelta(days=59),
                                               closed=True, note=Texts(fi="Vanha sulku")),
                              ExceptionalHours(day_from=soon, day_to=soon + timedelta(days=1), closed=True,
                                               note=Texts(fi="Henkilöstön koulutuspäivät", sv="Personalens"
                                                                                              " utbildningsdagar")),
                              ExceptionalHours(day_from=later, day_to=later, opens="10:00", closes="14:00",
                                               note=Texts(fi="Lyhennetty aukioloaika"))),),),
        ),
        organization=Texts(fi="Varsinais-Suomen hyvinvointialue"))


async def referred_case(intake_url: str, bootstrap: str, prefix: str, now: datetime) -> tuple[str, str]:
    """A family's request, the directory's record of the service (version 2) and the referral to it, on the
    stream as routing's sync and command side put them there; the reference and the pick-up code."""
    async with httpx.AsyncClient(base_url=intake_url) as intake:
        sent = await intake.post("/api/v1/requests", json=request_body("raisio", language="fi"))
        assert sent.status_code == 201, sent.text
    receipt = sent.json()
    record = DirectoryRecord(type="directory.service_upserted", region=REGION, service_id=SERVICE_ID, at=now,
                             service=the_service(now))
    assert record.schema_version == 2 and record_headers(record)
    await produce(bootstrap, directory_topic(prefix, REGION), [(SERVICE_ID.encode(),
                                                                record.model_dump_json().encode())])
    case_id = uuid.UUID(receipt["case_id"])
    referral = new_event(ReferralSent, case_id=case_id, region=REGION, municipality="raisio", actor="staff:test",
                         payload=ReferralSentPayload(referral_id=uuid.uuid4(), service_id=SERVICE_ID,
                                                     service_kind="county", consent="spoken", electronic=True,
                                                     note=Sealed(nonce="bm9uY2U=", ciphertext="eA==")))
    await produce(bootstrap, cases_topic(prefix, REGION), [(str(case_id).encode(), encode(referral))])
    return receipt["reference"], receipt["pickup_code"]


TEXTS = {"fi": ("Palvelut, joihin sinut on ohjattu", "Puhelin", "Verkossa", "Käyntiosoite", "Tahvontie 7",
                "21200 Raisio", "ma–pe 8.00–16.00", "la suljettu", "Henkilöstön koulutuspäivät", "Avaa"),
         "sv": ("Tjänster som du har hänvisats till", "Telefon", "På webben", "Besöksadress", "Tahvovägen 7",
                "21200 Reso", "mån–fre 8.00–16.00", "lör stängt", "Personalens utbildningsdagar", "Öppna"),
         "en": ("Services you were referred to", "Phone", "Online", "Visiting address", "Tahvontie 7",
                "21200 Raisio", "Mon–Fri 08:00–16:00", "Sat closed", "Henkilöstön koulutuspäivät", "Open")}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_the_family_sees_how_to_reach_the_service_they_were_referred_to(
        browser: Browser, intake_server, kafka, prefix, lang: str) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    reference, code = await referred_case(intake_server.url, kafka.bootstrap, prefix, now)
    title, phones, pages, places, street, post, weekdays, saturday, closure, open_button = TEXTS[lang]
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await page.goto(f"{intake_server.url}/status?lang={lang}")
    await page.fill("#reference", reference)
    await page.fill("#pickup_code", code)
    await page.get_by_role("button", name=open_button, exact=True).click()
    await expect(page.locator("h1")).to_contain_text(reference)
    for _ in range(100):  # the directory and the referral reach intake's projection
        if await page.locator("section.referrals article").count():
            break
        await asyncio.sleep(0.2)
        await page.reload()
    section = page.locator("section.referrals")
    await expect(section.locator("h2")).to_have_text(title)
    await expect(section.locator("h3")).to_contain_text("Familjerådgivning" if lang == "sv" else WORD)
    for heading in (phones, pages, places):
        await expect(section.locator("h4", has_text=heading)).to_have_count(1)
    await expect(section.locator("a[href='tel:+358226261500']")).to_have_text("+358 2 2626 1500")
    await expect(section.locator("a[href='tel:+358401234567']")).to_have_count(1)
    await expect(section.locator(f"a[href='{LONG_URL}']")).to_have_count(1)
    for text in (street, post, weekdays, saturday, closure):
        await expect(section).to_contain_text(text)
    assert "Vanha sulku" not in await section.inner_text()  # a closure long past is not shown
    day = (now.astimezone(HELSINKI) + timedelta(days=14)).date()
    pattern = {"fi": "EEE d.M.", "sv": "EEE d MMM", "en": "EEE d MMM"}[lang]
    await expect(section).to_contain_text(format_date(day, pattern, locale={"fi": "fi_FI", "sv": "sv_FI",
                                                                            "en": "en_GB"}[lang]))
    if lang != "fi":  # PTV's Finnish where it has nothing else, marked as Finnish for a screen reader
        await expect(section.locator("span[lang=fi]", has_text="Tekstiviestit")).to_have_count(1)
    if lang == "en":
        await expect(section.locator("h3[lang=fi]")).to_have_count(1)
    await checked(page, f"the status page with a referral to a PTV service ({lang})")
    await context.close()
