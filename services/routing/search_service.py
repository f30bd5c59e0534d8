"""Staff search, the use case: find cases by a reference, a phone number, an e-mail address or the days received.

Who may search is who may see the queue, and a search finds only what the queue would show the same person
(their region's cases; a professional's own and their team's): a case of another region is never found, not
even by its exact reference. Each search is written to the access log (and the audit stream) with who, when,
the kind of term and the number of hits, in the same transaction as the read; never the term itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from services.routing import queries, search_index
from services.routing.accounts import Account
from services.routing.audit import record_search
from services.routing.permissions import may_see_queue
from services.routing.search import CaseSearch, SearchKind, Term, check_dates, classify, search_kind
from services.routing.service import QueueSlice
from shared.businessdays import WorkingDay
from shared.errors import Forbidden
from shared.sealing import Keyring

if TYPE_CHECKING:
    from shared.app import UnitOfWork


@dataclass(frozen=True)
class Filters:
    """The queue's own filters, which a search keeps."""

    municipality: str | None = None
    topic: str | None = None
    team: str | None = None
    status: str | None = None
    mine: bool = False


@dataclass(frozen=True)
class Found:
    """One page of what a search found, the kind it was logged as and how many cases it found in all."""

    page: QueueSlice
    kind: SearchKind
    hits: int


def is_search(q: str | None, received_from: date | None, received_to: date | None) -> bool:
    """A term or a date makes the queue a search (and an entry in the access log); the filters alone do not."""
    return bool(q and q.strip()) or received_from is not None or received_to is not None


async def search_cases(*, uow: UnitOfWork, account: Account, keyring: Keyring, country: str, day: WorkingDay,
                       topic_prefix: str,
                       q: str | None, received_from: date | None = None, received_to: date | None = None,
                       filters: Filters = Filters(), page: int = 1, per_page: int = 50) -> Found:
    """Page ``page`` of the cases that match, in the queue's order, and the search in the access log.

    Raises search.TermRefused for a term of no searchable kind and search.DatesRefused for a range the wrong
    way round, before anything is read or logged.
    """
    if not may_see_queue(account):
        raise Forbidden("your role sees statistics, not cases")
    check_dates(received_from, received_to)
    term: Term | None = classify(q, country) if q and q.strip() else None
    async with uow.transaction() as conn:
        found = CaseSearch(received_from=received_from, received_to=received_to)
        term_kind = term.kind if term is not None else None
        if term is not None and term_kind == "reference":
            found = CaseSearch(reference=term.value, received_from=received_from, received_to=received_to)
        elif term is not None and (term_kind == "phone" or term_kind == "email"):
            # Only digests are compared: the index holds no number or address to compare with.
            ids = await search_index.find(conn, region=account.region, kind=term_kind, normalised=term.value,
                                          keyring=keyring)
            found = CaseSearch(case_ids=ids, received_from=received_from, received_to=received_to)
        f = filters
        items = await queries.list_cases(conn=conn, account=account, day=day, municipality=f.municipality,
                                         topic=f.topic,
                                         team=f.team, status=f.status, mine=f.mine, search=found,
                                         limit=per_page + 1, offset=(page - 1) * per_page)
        hits = await queries.count_cases(conn=conn, account=account, municipality=f.municipality, topic=f.topic,
                                         team=f.team, status=f.status, mine=f.mine, search=found)
        kind = search_kind(term)
        await record_search(conn, account=account, term_kind=kind, hits=hits, topic_prefix=topic_prefix)
    return Found(page=QueueSlice(items=items[:per_page], page=page, has_next=len(items) > per_page), kind=kind,
                 hits=hits)
