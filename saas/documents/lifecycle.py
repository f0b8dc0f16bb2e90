"""The one way a document changes status: along the graph of DESIGN.md, one event per change.

Additions to the graph in DESIGN.md, each because a real desk needs it: a booked slot or a
requested delivery can fall back to ``ready`` (the citizen cancels, or no driver was found
before pickup); a ``returned`` document can be offered again (``ready``) or collected at the
desk. A document ``with_courier`` cannot be cancelled: it is physically out of the office, so
it must come back (``returned``) or reach the citizen (``delivered``) first.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from saas import events
from saas.documents.models import STATUS_LABELS, Document, DocumentEvent, DocumentStatusCount
from saas.extensions import db
from saas.models import utcnow
from saas.security import redact_niks

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("ready", "cancelled"),
    "ready": ("pickup_booked", "delivery_requested", "collected", "cancelled"),
    "pickup_booked": ("collected", "ready", "cancelled"),
    "delivery_requested": ("with_courier", "ready", "cancelled"),
    "with_courier": ("delivered", "returned"),
    "returned": ("ready", "delivery_requested", "collected", "cancelled"),
    "delivered": (),
    "collected": (),
    "cancelled": (),
}



@dataclass(frozen=True)
class Actor:
    """Who made a change: a staff user, the citizen, a courier, or the system itself."""

    kind: str
    user_id: int | None = None
    label: str | None = None

    @classmethod
    def staff(cls, user) -> Actor:
        return cls("staff", user.id, user.name)

    @classmethod
    def citizen(cls, label: str = "warga") -> Actor:
        return cls("citizen", None, label)

    @classmethod
    def courier(cls, name: str) -> Actor:
        return cls("courier", None, name)

    @classmethod
    def system(cls, label: str = "Antar") -> Actor:
        return cls("system", None, label)


class TransitionRefused(events.Refusal):
    """A move that is not in the graph, or that a subscriber refused; ``message`` says why."""

    def __init__(self, document: Document, to_status: str, message):
        self.document = document
        self.to_status = to_status
        super().__init__(message)


@dataclass(frozen=True)
class DocumentMoving:
    """Asked before a document changes status: a check may still refuse (``TransitionRefused``)."""

    document: Document
    from_status: str
    to_status: str
    actor: Actor
    note: str | None


@dataclass(frozen=True)
class DocumentMoved:
    """Told after the change and its event row: the subscribers follow in the same transaction."""

    document: Document
    event: DocumentEvent


def allowed_moves(document: Document) -> tuple[str, ...]:
    return TRANSITIONS.get(document.status, ())


def transition(document: Document, to_status: str, actor: Actor, note: str | None = None,
               at=None) -> DocumentEvent:
    """Move ``document`` to ``to_status`` and record it; refuses anything off the graph.

    Checks run first (a courier that will not let go refuses here, with nothing changed); then
    the status and its event; then the subscribers. The caller commits: the status, the event
    and whatever the subscribers add (the notification outbox row, for one) land together.
    """
    if to_status not in STATUS_LABELS:
        raise TransitionRefused(document, to_status, _l("'%(status)s' is not a document status.",
                                                        status=to_status))
    if to_status not in allowed_moves(document):
        if document.status == to_status:
            message = _l("The document is already '%(status)s'.", status=STATUS_LABELS[to_status])
        elif document.status == "with_courier" and to_status == "cancelled":
            message = _l("The document is with the courier: record it as returned or delivered first.")
        elif not allowed_moves(document):
            message = _l("The document is '%(status)s': it cannot change any more.",
                         status=STATUS_LABELS[document.status])
        else:
            message = _l("A document that is '%(current)s' cannot become '%(wanted)s'.",
                         current=STATUS_LABELS[document.status], wanted=STATUS_LABELS[to_status])
        raise TransitionRefused(document, to_status, message)
    events.ask(DocumentMoving(document, document.status, to_status, actor, note))
    moment = at or utcnow()
    event = DocumentEvent(
        tenant_id=document.tenant_id, document=document, from_status=document.status,
        to_status=to_status, actor_kind=actor.kind, actor_user_id=actor.user_id,
        actor_label=actor.label, note=redact_niks((note or "").strip())[:500] or None, at=moment,
    )
    document_from = document.status
    document.status = to_status
    if to_status == "ready" and document.ready_at is None:
        document.ready_at = moment
    if to_status in ("delivered", "collected", "cancelled"):
        document.closed_at = moment
    db.session.add(event)
    if not document.is_test:
        count_moves(document.tenant_id, {document_from: -1, to_status: +1})
    events.publish(DocumentMoved(document, event))
    return event


def record_received(document: Document, actor: Actor, note: str | None = None) -> DocumentEvent:
    """The first line of a document's timeline: it arrived in Antar."""
    event = DocumentEvent(tenant_id=document.tenant_id, document=document, from_status=None,
                          to_status="received", actor_kind=actor.kind, actor_user_id=actor.user_id,
                          actor_label=actor.label, note=note, at=document.created_at or utcnow())
    db.session.add(event)
    if not document.is_test:
        count_moves(document.tenant_id, {"received": +1})
    return event


# -- the queue's tab counts ---------------------------------------------------------------------
def count_moves(tenant_id: int, moves: dict[str, int]) -> None:
    """Add ``moves`` (status → change) to the city's tab counts, in the transaction of the change.

    One upsert per status, in a fixed order: two transactions moving documents of one city take
    the count rows' locks in the same order, and wait for each other instead of deadlocking.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = DocumentStatusCount.__table__
    for status in sorted(moves):
        change = moves[status]
        if not change:
            continue
        statement = insert(table).values(tenant_id=tenant_id, status=status, count=change)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=[table.c.tenant_id, table.c.status], set_={"count": table.c.count + change}))


def recount_statuses() -> dict[str, int]:
    """Count the bound city's documents afresh: after rows were written in bulk, not moved here."""
    from saas.tenancy.scope import current_tenant

    counts = dict(db.session.execute(
        sa.select(Document.status, sa.func.count()).where(Document.is_test.is_(False))
        .group_by(Document.status)).all())
    db.session.execute(sa.delete(DocumentStatusCount))
    if counts:
        db.session.execute(sa.insert(DocumentStatusCount), [
            {"tenant_id": current_tenant.id, "status": status, "count": count} for status, count in counts.items()])
    return counts
