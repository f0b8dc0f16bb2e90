"""The platform's own audit log: who did what in the console, and when."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models import BigIntPK, UTCDateTime, utcnow


#: What each console action is, as the audit log reads it.
AUDIT_ACTION_LABELS = {
    "sign_in": _l("Signed in"), "suspend_city": _l("Suspended a city"), "resume_city": _l("Resumed a city"),
    "onboard_city": _l("Added a city"), "retry_job": _l("Retried a job"), "delete_job": _l("Deleted a job"),
    "invite_admin": _l("Invited a city's first admin"), "go_live": _l("Switched a city live"),
}


class PlatformAuditLog(db.Model):
    __tablename__ = "platform_audit_log"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(60))
    target: Mapped[str | None] = mapped_column(sa.String(120))
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User", lazy="joined")

    __table_args__ = (sa.Index(None, "at"),)

    @property
    def action_label(self) -> str:
        return str(AUDIT_ACTION_LABELS.get(self.action, self.action))

    @property
    def reason(self) -> str:
        return (self.detail or {}).get("reason") or ""
