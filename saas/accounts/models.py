"""Staff accounts: each belongs to one city with a role, or to the platform as super-admin."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models import FreeText, BigIntPK, Timestamps, UTCDateTime, utcnow
from saas.tenancy.scope import TenantScoped

TENANT_ROLES = ("operator", "supervisor", "admin")
PLATFORM_ROLE = "superadmin"
ROLES = TENANT_ROLES + (PLATFORM_ROLE,)
_RANK = {"operator": 1, "supervisor": 2, "admin": 3}


class User(UserMixin, Timestamps, db.Model):
    """A platform table, not a tenant-owned one: a city's staff carry its ``tenant_id``, the
    platform's super-admins none, so the automatic city filter cannot apply. Every read names
    the city itself (``find_user``, ``load_session_user``, the staff page) and says so."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenant.id", ondelete="RESTRICT"))
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(16))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on sign-out and password change: every older session cookie stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    tenant = relationship("Tenant", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "email"),
        sa.Index("uq_user_account_platform_email", "email", unique=True,
                 postgresql_where=sa.text("tenant_id IS NULL"),
                 sqlite_where=sa.text("tenant_id IS NULL")),
        sa.CheckConstraint(
            "(role = 'superadmin' AND tenant_id IS NULL) OR "
            "(role IN ('operator', 'supervisor', 'admin') AND tenant_id IS NOT NULL)",
            name="role_matches_scope",
        ),
    )

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_superadmin(self) -> bool:
        return self.role == PLATFORM_ROLE

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    def has_role(self, needed: str) -> bool:
        """Operators work the desks; supervisors also report; admins also configure."""
        if self.is_superadmin:
            return needed == PLATFORM_ROLE
        return _RANK.get(self.role, 0) >= _RANK[needed]

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


#: What each line of the access log records, as a supervisor reads it.
ACCESS_ACTIONS = {
    "sign_in": _l("Signed in"), "sign_out": _l("Signed out"),
    "view_document": _l("Opened a document"), "search_nik": _l("Searched by NIK"),
    "view_delivery": _l("Opened a delivery (address, phone)"), "reveal_phone": _l("Showed a citizen's phone number"), "view_handover": _l("Opened a handover"),
    "view_problem_report": _l("Opened a problem report"),
    "view_import_preview": _l("Opened an import preview"),
    "api_list_documents": _l("API: listed documents"), "api_view_document": _l("API: read a document"),
    "create_api_token": _l("Made an API token"), "revoke_api_token": _l("Revoked an API token"),
    "create_staff": _l("Added a staff member"), "enable_staff": _l("Enabled a staff member"),
    "disable_staff": _l("Disabled a staff member"),
    "subject_export": _l("Exported a citizen's data (request)"),
    "subject_erase": _l("Erased a citizen's data (request)"),
}


class StaffAccessLog(TenantScoped, db.Model):
    """Who of a city's staff (or which of its API tokens) did what, when, from where, and why
    (UU 27/2022: every access to personal data is logged). Append-only; supervisors read it."""

    __tablename__ = "staff_access_log"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="RESTRICT"))
    api_token: Mapped[str | None] = mapped_column(sa.String(40))  # the token's prefix and name, for API reads
    action: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str | None] = mapped_column(FreeText(120))
    reason: Mapped[str | None] = mapped_column(FreeText(200))
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship(User, lazy="joined")

    @property
    def action_label(self) -> str:
        return str(ACCESS_ACTIONS.get(self.action, self.action))

    @property
    def who(self) -> str:
        return self.user.name if self.user is not None else f"API · {self.api_token or '-'}"

    __table_args__ = (sa.Index(None, "tenant_id", "at"), sa.Index(None, "tenant_id", "user_id", "at"))
