"""Reporting's rollup: per region, day and municipality, how many cases fall in each group of each dimension.

Every dashboard table counts cases by one dimension (the hour they wrote, the outcome, …) under the
filters a manager picks. Counting a region-year's facts for each table takes seconds once a region
has many cases; ``fact_cells`` holds, per (region, local_date, municipality, dimension, value), the
count, the sum of the cases' record keys (for the privacy noise, see ``privacy.py``) and how many of
them were answered, answered in time and answered late, so a table sums a few thousand rows instead.

The dimensions are defined once, as SQL over a ``case_facts`` row, and used three ways: to keep the
cells up to date in the statement that writes the facts (the cells of a case's old facts are taken
away and those of its new facts added), to fill them from the facts in a migration, and to make the
same cells on the fly from the facts of one topic (the rollup keeps no topic: that would multiply its
rows by the number of topics for a filter that is seldom used).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from services.reporting.referral_facts import DIMENSIONS as REFERRAL_DIMENSIONS

AFTER_HOURS = ("evening", "night", "weekend", "holiday")
# A case's value in each dimension, as text, over a facts row's columns; NULL: the case is not counted in that
# dimension.
# '' stands for "none" where a missing value is a group of its own (no topic, no team).
DIMENSIONS: dict[str, str] = {
    "all": "''",
    "time": "time_of_contact",
    "hour": "local_hour::text",
    "role": "requester_role",
    "method": "contact_method",
    # How the family got in touch: the button, or a contact staff recorded (phone, in person, letter).
    "channel": "channel",
    "topic_family": "coalesce(topic_family, '')",
    "topic_triage": "topic_triage",
    "topic": "coalesce(topic, '')",
    "outcome": "outcome",
    "feedback": "feedback::text",
    "referral": "referred_service",
    "referral_kind": "CASE WHEN referred_service IS NOT NULL THEN coalesce(referred_kind, '') END",
    "team": "coalesce(response_team, team_id, '')",
    # Conditions: the cases for which they hold.
    "anonymous": "CASE WHEN anonymous THEN '' END",
    "after_hours": f"CASE WHEN time_of_contact IN ({', '.join(repr(t) for t in AFTER_HOURS)}) THEN '' END",
    "feedback_given": "CASE WHEN feedback IS NOT NULL THEN '' END",
    "handed_off": "CASE WHEN handoffs > 0 THEN '' END",
    "referred": "CASE WHEN referrals > 0 THEN '' END",
    "reopened": "CASE WHEN reopened > 0 THEN '' END",
    "child_welfare_notified": "CASE WHEN child_welfare_notified THEN '' END",
    # Contacts (contacts.py): the closed cases and those closed unreached by way of answering, and the attempt
    # that first reached the family.
    "closed_method": "CASE WHEN outcome IS NOT NULL THEN contact_method END",
    "not_reached_method": "CASE WHEN outcome = 'not_reached' THEN contact_method END",
    # The attempt that first reached the family: 1, 2, 3, or 4 for the fourth or later (the table's rows), so that
    # each row is one cell of its own and secondary suppression (cube.py) decides on it.
    # (least() passes over a NULL: a family never reached would count as the fourth attempt.)
    "reached_after": "CASE WHEN reached_after IS NOT NULL THEN least(reached_after, 4)::text END",
    # Requests closed as duplicates of another request (merged): the one dimension that counts them (cells_of).
    "merged": "CASE WHEN outcome = 'duplicate' THEN '' END",
    # Referrals answered through their link: the latest one's answer, a decline's reason, how soon it was accepted.
    **REFERRAL_DIMENSIONS,
}
# A request closed as a duplicate is no contact of its own: its family's matter goes on in the request kept,
# which is counted. So every dimension but "merged" leaves it out, and so does every read of the facts.
COUNTED = "outcome IS DISTINCT FROM 'duplicate'"


def value_of(dim: str) -> str:
    """A dimension's value over a facts row, NULL (not counted) for a duplicate unless the dimension counts those."""
    return DIMENSIONS[dim] if dim == "merged" else f"CASE WHEN {COUNTED} THEN {DIMENSIONS[dim]} END"
# The parts of a cell beside its count: (name, condition on the facts row).
PARTS = (("answered", "first_response_at IS NOT NULL"), ("met", "first_response_at < due_at"),
         ("late", "first_response_at >= due_at"))
SUMS = ("n", "keys", *(f"{name}_{x}" for name, _ in PARTS for x in ("n", "k")))
KEY = ("region", "dim", "local_date", "municipality", "value")
# The table itself: migrations/projection/0002_fact_cells.sql.


def cells_of(source: str, dims: Iterable[str] | None = None) -> str:
    """The cells of the facts rows ``source`` yields (a ``sign`` column: +1 to add a row, -1 to take it away);
    a cell whose sums all come to nothing (a change that left it as it was) is left out."""
    chosen = list(dims) if dims is not None else list(DIMENSIONS)
    values = ", ".join(f"('{d}', {value_of(d)})" for d in chosen)
    # A row's parts once, before the row is counted in each of its dimensions.
    parts = "".join(f", CASE WHEN {cond} THEN sign ELSE 0 END AS {name}_n,"
                    f" CASE WHEN {cond} THEN sign * record_key ELSE 0 END AS {name}_k" for name, cond in PARTS)
    sums = ", ".join(f"sum(f.{s}) AS {s}" for s in SUMS)
    return (f"SELECT f.region, d.dim, f.local_date, f.municipality, d.value, {sums}"
            f" FROM (SELECT *, sign AS n, sign * record_key AS keys{parts} FROM ({source}) s) f"
            f" CROSS JOIN LATERAL (VALUES {values}) AS d(dim, value)"
            " WHERE d.value IS NOT NULL GROUP BY 1, 2, 3, 4, 5"
            f" HAVING {' OR '.join(f'sum(f.{s}) <> 0' for s in SUMS if s.endswith('n'))}")


def add_cells(source: str) -> str:
    """Add the cells of ``source`` to ``fact_cells`` (a statement of its own, or the end of one with CTEs)."""
    return (f"INSERT INTO fact_cells AS c ({', '.join(KEY)}, {', '.join(SUMS)}) {cells_of(source)}"
            f" ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {', '.join(f'{s} = c.{s} + EXCLUDED.{s}' for s in SUMS)}")


# Cells that no case is in any more: a rebuilt rollup has none, so neither may the live one.
DROP_EMPTY = "DELETE FROM fact_cells WHERE n = 0"
FILL = add_cells("SELECT 1 AS sign, * FROM case_facts")
# After a rebuild has written the facts alone.
REFILL = ("TRUNCATE fact_cells", FILL)


def _text(value: str) -> str | None:
    return value or None


# How a cell's text value reads back in Python, where that is not just text.
PARSE: dict[str, Callable[[str], object]] = {
    "hour": int, "feedback": int, "reached_after": int,
    "topic_family": _text, "topic": _text, "referral_kind": _text, "team": _text,
}


def parse(dim: str, value: str) -> object:
    return PARSE.get(dim, str)(value)
