"""Linking two cases of a region: what a link or an unlink decides on both cases at once.

Pure, like ``decisions``: both cases' states in (each read under its own row lock by ``link_commands``),
the events for each case's stream out, or InvalidCommand saying why not.

A duplicate link points from the duplicate to the case kept, which is never a duplicate itself, and a case
that is kept for others does not become a duplicate: every chain of duplicates is one step long, so no
cycle can form, and a family's duplicate always names a case that goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.routing.decisions import Decision, LinkCase, UnlinkCase
from services.routing.domain import CaseState
from shared.errors import InvalidCommand
from shared.events import CaseClosed, CaseClosedPayload, CaseLinked, CaseLinkedPayload, CaseUnlinked

# The refusals, by a key of routing's catalog (link_refused_<key>), so a page says them in its language.
REFUSALS = {
    "itself": "a case is not linked to itself",
    "region": "only cases of the same region are linked",
    "erased": "a case whose personal data is erased is not linked",
    "closed": "a duplicate is linked while both cases are open; reopen the closed one first",
    "already_duplicate": "this case is already a duplicate of another case; unlink that first",
    "other_is_duplicate": "the other case is itself a duplicate: link to the case it duplicates",
    "kept_for_others": "other cases are duplicates of this one; link the other case to this one instead",
    "callback": "a call to the family is scheduled on this case; record how it went or cancel it first",
    "linked_otherwise": "the cases are already linked the other way; unlink them first",
    "unlink_closed": "a link is undone while both cases are open; reopen the closed one first",
}


class LinkRefused(InvalidCommand):
    """A link or unlink that the cases' states do not allow; ``key`` names the reason (REFUSALS)."""

    def __init__(self, key: str) -> None:
        super().__init__(REFUSALS[key], reason=key)
        self.key = key


@dataclass(frozen=True)
class LinkDecision:
    """The events for this case's stream and for the other case's."""

    this: Decision = field(default_factory=list)
    other: Decision = field(default_factory=list)


def relation(this: CaseState, other: CaseState) -> str | None:
    """How ``this`` is linked to ``other`` now: 'duplicate' (of it), 'kept' (for it), 'related', or None."""
    if this.duplicate_of == other.case_id:
        return "duplicate"
    if other.case_id in this.duplicates:
        return "kept"
    if other.case_id in this.related:
        return "related"
    return None


def decide_link(this: CaseState, other: CaseState, command: LinkCase | UnlinkCase) -> LinkDecision:
    """The events linking (or unlinking) ``this`` case and ``other``; idempotent: nothing when already so."""
    if this.case_id == other.case_id:
        raise LinkRefused("itself")
    if this.region != other.region:
        raise LinkRefused("region")
    if this.erased_at is not None or other.erased_at is not None:
        raise LinkRefused("erased")
    now = relation(this, other)
    if isinstance(command, UnlinkCase):
        return _unlink(this, other, now)
    if command.kind == "related":
        if now == "related":
            return LinkDecision()
        if now is not None:
            raise LinkRefused("linked_otherwise")
        return LinkDecision(this=[_linked("related", "related", other)], other=[_linked("related", "related", this)])
    if now == "duplicate":  # linked before; a duplicate reopened since closes again
        return LinkDecision() if this.closed else LinkDecision(this=[_closed()])
    if now is not None:
        raise LinkRefused("linked_otherwise")
    if this.closed or other.closed:
        raise LinkRefused("closed")
    if this.duplicate_of is not None:
        raise LinkRefused("already_duplicate")
    if other.duplicate_of is not None:
        raise LinkRefused("other_is_duplicate")
    if this.duplicates:
        raise LinkRefused("kept_for_others")
    if this.callback_id is not None:
        raise LinkRefused("callback")
    return LinkDecision(this=[_linked("duplicate", "duplicate", other), _closed()],
                        other=[_linked("duplicate", "kept", this)])


def _unlink(this: CaseState, other: CaseState, now: str | None) -> LinkDecision:
    if now is None:
        return LinkDecision()
    if this.closed or other.closed:
        raise LinkRefused("unlink_closed")
    kind = "related" if now == "related" else "duplicate"
    mirrored = {"duplicate": "kept", "kept": "duplicate", "related": "related"}[now]
    return LinkDecision(this=[(CaseUnlinked, CaseLinkedPayload(kind=kind, side=now, other_case_id=other.case_id))],
                        other=[(CaseUnlinked, CaseLinkedPayload(kind=kind, side=mirrored, other_case_id=this.case_id))])


def _linked(kind: str, side: str, to: CaseState) -> tuple[type[CaseLinked], CaseLinkedPayload]:
    return CaseLinked, CaseLinkedPayload.model_validate({"kind": kind, "side": side, "other_case_id": to.case_id})


def _closed() -> tuple[type[CaseClosed], CaseClosedPayload]:
    return CaseClosed, CaseClosedPayload(outcome="duplicate")
