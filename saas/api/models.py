"""API tokens: a city's (for its SIAK-side scripts) or the platform's (for the console API)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models import Timestamps, UTCDateTime

#: A live token works on the city's real documents; a test token's documents are marked as test
#: data, so a SIAK-side script can be tried against production without messaging a citizen or
#: booking a courier (GOV.UK Notify's "test" keys).
TOKEN_KINDS = ("live", "test")


class ApiToken(Timestamps, db.Model):
    """Shown once at creation, stored as a SHA-256 hash; revoked tokens are kept for the record.

    A platform table, not a tenant-owned one: city tokens carry their ``tenant_id``, platform
    tokens none, and a token is found by its hash before any city is bound; the API then
    refuses a token whose city is not the URL's (``token_from_header`` and the views)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenant.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    kind: Mapped[str] = mapped_column(sa.String(8), default="live", server_default="live")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_by = relationship("User", lazy="joined")

    __table_args__ = (sa.Index(None, "tenant_id", "revoked_at"),
                      sa.CheckConstraint("kind in ('live', 'test')", name="kind"))

    @property
    def is_test(self) -> bool:
        return self.kind == "test"

    @property
    def is_platform(self) -> bool:
        return self.tenant_id is None

    @property
    def active(self) -> bool:
        return self.revoked_at is None
