"""The one way a document changes status: along the graph of DESIGN.md, one event per change.

Additions to the graph in DESIGN.md, each because a real desk needs it: a booked slot or a
requested delivery can fall back to ``ready`` (the citizen cancels, or no driver was found
before pickup); a ``returned`` document can be offered again (``ready``) or collected at the
desk. A document ``with_courier`` cannot be cancelled: it is physically out of the office, so
it must come back (``returned``) or reach the citizen (``delivered``) first.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from saas.documents.models import STATUS_LABELS, Document, DocumentEvent
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

#: Called as ``hook(document, event)`` for every change, inside the same transaction; the
#: notification outbox and the stats rollups subscribe here, so nothing else decides when
#: "document ready" (or any other event) is sent or counted.
ON_TRANSITION: list = []


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


class TransitionRefused(Exception):
    """A move that is not in the graph; ``message`` says why, in the user's language."""

    def __init__(self, document: Document, to_status: str, message):
        self.document = document
        self.to_status = to_status
        self.message = message
        super().__init__(str(message))


def allowed_moves(document: Document) -> tuple[str, ...]:
    return TRANSITIONS.get(document.status, ())


def transition(document: Document, to_status: str, actor: Actor, note: str | None = None,
               at=None) -> DocumentEvent:
    """Move ``document`` to ``to_status`` and record it; refuses anything off the graph.

    The caller commits: the status, the event and whatever the hooks add (the notification
    outbox row, for one) land together or not at all.
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
    moment = at or utcnow()
    event = DocumentEvent(
        tenant_id=document.tenant_id, document=document, from_status=document.status,
        to_status=to_status, actor_kind=actor.kind, actor_user_id=actor.user_id,
        actor_label=actor.label, note=redact_niks((note or "").strip())[:500] or None, at=moment,
    )
    document.status = to_status
    if to_status == "ready" and document.ready_at is None:
        document.ready_at = moment
    if to_status in ("delivered", "collected", "cancelled"):
        document.closed_at = moment
    db.session.add(event)
    for hook in ON_TRANSITION:
        hook(document, event)
    return event


def record_received(document: Document, actor: Actor, note: str | None = None) -> DocumentEvent:
    """The first line of a document's timeline: it arrived in Antar."""
    event = DocumentEvent(tenant_id=document.tenant_id, document=document, from_status=None,
                          to_status="received", actor_kind=actor.kind, actor_user_id=actor.user_id,
                          actor_label=actor.label, note=note, at=document.created_at or utcnow())
    db.session.add(event)
    return event
