"""The platform's own audit log: who did what in the console, and who read across cities, and when."""
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
    "read_across_cities": _l("Read across cities"),
}
#: Why a person's request read across cities (``read_across_cities``'s target), as the log reads it.
CROSSING_REASONS = {
    "console_home": _l("Cities list (30-day volume)"), "compare": _l("City comparison"),
    "compare_csv": _l("City comparison, CSV export"), "compare_api": _l("City comparison through the platform API"),
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
    def target_label(self) -> str:
        if self.action == "read_across_cities":
            return str(CROSSING_REASONS.get(self.target, self.target))
        return self.target or ""

    @property
    def who(self) -> str:
        if self.user is not None:
            return self.user.email
        token = (self.detail or {}).get("token")
        return f"API: {token}" if token else "–"

    @property
    def reason(self) -> str:
        return (self.detail or {}).get("reason") or ""
