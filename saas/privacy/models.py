"""The record of every data-subject request a city's office handled."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.accounts.models import User
from saas.extensions import db
from saas.models import BigIntPK, FreeJSON, FreeText, UTCDateTime, utcnow
from saas.tenancy.scope import TenantScoped

REQUEST_KINDS = {"export": _l("Export (copy of the data)"), "erase": _l("Erasure")}


class SubjectRequest(TenantScoped, db.Model):
    """Who handled whose request (the NIK as its keyed hash and its mask), when, why, and what
    was exported or erased (counts only). Kept as the office's proof of the duty done."""

    __tablename__ = "subject_request"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    nik_hash: Mapped[str] = mapped_column(sa.String(64))
    nik_masked: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(FreeText(300))
    handled_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    summary: Mapped[dict] = mapped_column(FreeJSON, default=dict)

    handled_by = relationship(User, lazy="joined")

    __table_args__ = (
        sa.Index(None, "tenant_id", "at"),
        sa.Index(None, "tenant_id", "nik_hash"),
        sa.CheckConstraint("kind in ('export', 'erase')", name="kind"),
    )

    @property
    def kind_label(self) -> str:
        return str(REQUEST_KINDS.get(self.kind, self.kind))
