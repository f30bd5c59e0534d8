"""The region's daily cap of text messages to one number, counted without keeping the number.

Each number is counted under the blind-index digest of its E.164 form (``shared/blind_index.py``: an HMAC
under a key derived from the KEK), so the table says how many messages some number got today and nothing
that gives the number back. The day is Helsinki's; the rows of past days are deleted as the next day's
messages are counted. After a KEK rotation a number's earlier digests still count for the rest of the day.
"""

from __future__ import annotations

from datetime import date, datetime

from shared.blind_index import current_digest, digests
from shared.businessdays import HELSINKI
from shared.db import Conn
from shared.sealing import Keyring


def helsinki_day(moment: datetime) -> date:
    """The day ``moment`` falls on in Helsinki: the cap's day."""
    return moment.astimezone(HELSINKI).date()


async def sent_today(conn: Conn, keyring: Keyring, number: str, day: date) -> int:
    """How many text messages ``number`` (E.164) got on ``day``; past days' counts are pruned on the way."""
    await conn.execute("DELETE FROM sms_daily_counts WHERE day < $1", day)
    found = digests(keyring, "phone", number)
    sent: int = await conn.fetchval(
        "SELECT coalesce(sum(sent), 0) FROM sms_daily_counts WHERE day = $1"
        " AND (kek_id, digest) IN (SELECT * FROM unnest($2::text[], $3::text[]))",
        day, list(found), list(found.values()))
    return sent


async def count_sent(conn: Conn, keyring: Keyring, number: str, day: date) -> None:
    """One more text message to ``number`` on ``day``, under the current KEK's digest."""
    kek_id, value = current_digest(keyring, "phone", number)
    await conn.execute(
        "INSERT INTO sms_daily_counts (day, kek_id, digest, sent) VALUES ($1, $2, $3, 1)"
        " ON CONFLICT (day, kek_id, digest) DO UPDATE SET sent = sms_daily_counts.sent + 1",
        day, kek_id, value)
