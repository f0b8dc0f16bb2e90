"""What citizens leave behind in the portal: slot bookings, ratings and problem reports."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models import FreeText, BigIntPK, Timestamps, UTCDateTime
from saas.tenancy.scope import TenantScoped, same_city_key

PROBLEM_KINDS = {
    "broken_seal": _l("The envelope's seal was broken"),
    "wrong_person": _l("It was handed to the wrong person"),
    "not_received": _l("I did not receive it"),
    "other": _l("Something else"),
}
#: Where a problem report stands: the office takes it in hand, then answers the citizen.
PROBLEM_STATUS_LABELS = {
    "new": _l("New"),
    "in_hand": _l("In hand"),
    "resolved": _l("Resolved"),
}
#: The moves staff may make from each status: a report can be answered at once, and an answer is final.
PROBLEM_MOVES = {"new": ("in_hand", "resolved"), "in_hand": ("resolved",), "resolved": ()}


class PickupSlot(TenantScoped, db.Model):
    """How many places of one time slot are taken: one row to lock, so a slot never overfills."""

    __tablename__ = "pickup_slot"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    booked: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "starts_at"),)


class PickupBooking(TenantScoped, Timestamps, db.Model):
    __tablename__ = "pickup_booking"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    document_id: Mapped[int] = mapped_column(BigIntPK)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    code: Mapped[str] = mapped_column(sa.String(12))
    status: Mapped[str] = mapped_column(sa.String(10), default="booked")  # booked, cancelled, used
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    document = relationship("Document", primaryjoin="PickupBooking.document_id == Document.id",
                            foreign_keys="PickupBooking.document_id")

    __table_args__ = (
        same_city_key("pickup_booking", "document_id", "document", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "code"),
        sa.Index(None, "tenant_id", "starts_at", "status"),
        sa.Index(None, "tenant_id", "document_id"),
        sa.CheckConstraint("status in ('booked', 'cancelled', 'used')", name="status"),
    )


class Rating(TenantScoped, db.Model):
    """The city's satisfaction index: one score per handed-over document."""

    __tablename__ = "rating"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    document_id: Mapped[int] = mapped_column(BigIntPK)
    delivery_id: Mapped[int | None] = mapped_column(BigIntPK)
    score: Mapped[int] = mapped_column()
    comment: Mapped[str | None] = mapped_column(FreeText(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        same_city_key("rating", "document_id", "document", ondelete="CASCADE"),
        same_city_key("rating", "delivery_id", "delivery"),
        sa.UniqueConstraint("tenant_id", "document_id"),
        sa.Index(None, "tenant_id", "at"),
        sa.CheckConstraint("score between 1 and 5", name="score"),
    )


class ProblemReport(TenantScoped, Timestamps, db.Model):
    """A citizen's report of something wrong with a handed-over document, and the office's answer.

    ``resolution`` is the reply the citizen reads on their page and receives as a message;
    ``taken_note`` stays in the office."""

    __tablename__ = "problem_report"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    document_id: Mapped[int] = mapped_column(BigIntPK)
    delivery_id: Mapped[int | None] = mapped_column(BigIntPK)
    kind: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(FreeText(1000))
    status: Mapped[str] = mapped_column(sa.String(12), default="new", server_default="new")
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    taken_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    taken_note: Mapped[str | None] = mapped_column(FreeText(500))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(FreeText(500))

    document = relationship("Document", primaryjoin="ProblemReport.document_id == Document.id",
                            foreign_keys="ProblemReport.document_id")
    delivery = relationship("Delivery", primaryjoin="ProblemReport.delivery_id == Delivery.id",
                            foreign_keys="ProblemReport.delivery_id")
    taken_by = relationship("User", foreign_keys=[taken_by_id], viewonly=True)
    resolved_by = relationship("User", foreign_keys=[resolved_by_id], viewonly=True)

    __table_args__ = (
        same_city_key("problem_report", "document_id", "document", ondelete="CASCADE"),
        same_city_key("problem_report", "delivery_id", "delivery"),
        sa.Index(None, "tenant_id", "status", "created_at"),
        sa.CheckConstraint("kind in ('broken_seal', 'wrong_person', 'not_received', 'other')", name="kind"),
        sa.CheckConstraint("status in ('new', 'in_hand', 'resolved')", name="status"),
    )

    @property
    def kind_label(self) -> str:
        return str(PROBLEM_KINDS.get(self.kind, self.kind))

    @property
    def status_label(self) -> str:
        return str(PROBLEM_STATUS_LABELS.get(self.status, self.status))

    @property
    def moves(self) -> tuple[str, ...]:
        return PROBLEM_MOVES.get(self.status, ())
