"""The record of every data-subject request a city's office received, and how it was answered."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.accounts.models import User
from saas.extensions import db
from saas.models import BigIntPK, FreeJSON, FreeText, UTCDateTime
from saas.tenancy.scope import TenantScoped

#: UU No. 27/2022: a data subject's request is answered within 3 × 24 hours of its receipt.
ANSWER_WITHIN = timedelta(hours=72)

REQUEST_KINDS = {"export": _l("Access (a copy of the data)"), "correct": _l("Correction"),
                 "erase": _l("Erasure"), "withdraw": _l("Consent withdrawal")}
REQUEST_STATUSES = {"open": _l("Open"), "done": _l("Done"), "refused": _l("Refused")}


class SubjectRequest(TenantScoped, db.Model):
    """One citizen's request (the NIK as its keyed hash and its mask, never in clear): when it came
    in and is due, who logged it, who closed it and how, and what was exported or erased (counts
    only). Kept as the office's proof of the duty done, or of why it was refused."""

    __tablename__ = "subject_request"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    nik_hash: Mapped[str] = mapped_column(sa.String(64))
    nik_masked: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(FreeText(300))  # the request's reference, how it was checked
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    logged_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="RESTRICT"))
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="RESTRICT"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(FreeText(300))  # what was done, or why it was refused
    summary: Mapped[dict] = mapped_column(FreeJSON, default=dict)

    logged_by = relationship(User, lazy="joined", foreign_keys=[logged_by_id])
    handled_by = relationship(User, lazy="joined", foreign_keys=[handled_by_id])

    __table_args__ = (
        sa.Index(None, "tenant_id", "received_at"),
        sa.Index(None, "tenant_id", "status", "due_at"),
        sa.Index(None, "tenant_id", "nik_hash"),
        sa.CheckConstraint("kind in ('export', 'correct', 'erase', 'withdraw')", name="kind"),
        sa.CheckConstraint("status in ('open', 'done', 'refused')", name="status"),
    )

    @property
    def kind_label(self) -> str:
        return str(REQUEST_KINDS.get(self.kind, self.kind))

    @property
    def status_label(self) -> str:
        return str(REQUEST_STATUSES.get(self.status, self.status))

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def overdue(self, now: datetime) -> bool:
        return self.is_open and now > self.due_at
