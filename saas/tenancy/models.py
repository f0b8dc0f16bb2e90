"""The city tenant: one Disdukcapil office, its settings synced from ``tenants/<slug>/``."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.models import FreeText, Timestamps, UTCDateTime
from saas.tenancy.scope import TenantScoped

TENANT_STATUSES = ("active", "suspended")


class Tenant(Timestamps, db.Model):
    __tablename__ = "tenant"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    city_name: Mapped[str] = mapped_column(sa.String(120))
    region_code: Mapped[str] = mapped_column(sa.String(5))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    go_live_date: Mapped[date | None] = mapped_column(sa.Date())
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_reason: Mapped[str | None] = mapped_column(FreeText(500))
    # Trial mode (a city onboarded in the console): messages reach only the city's own staff and
    # couriers are booked only in the sandbox, until the platform operator switches it live.
    trial: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    branding: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    office: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    areas: Mapped[list] = mapped_column(sa.JSON, default=list)
    document_settings: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    pickup_settings: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    courier_settings: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    notification_settings: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    message_templates: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    retention_settings: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    logo_svg: Mapped[str | None] = mapped_column(sa.Text())
    settings_digest: Mapped[str] = mapped_column(sa.String(64), default="")

    __table_args__ = (
        sa.CheckConstraint("status in ('active', 'suspended')", name="status"),
    )

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def is_listed(self, moment: datetime) -> bool:
        """Shown in the public list of cities: serving, and its go-live day has come (local day)."""
        return self.is_active and (self.go_live_date is None or self.go_live_date <= self.local_date(moment))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, moment: datetime) -> date:
        """The city's own calendar day of a UTC moment ("per day" means this)."""
        return moment.astimezone(self.zone).date()

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """[start, end) in UTC of the city's local calendar ``day``."""
        start = datetime.combine(day, time.min, tzinfo=self.zone).astimezone(timezone.utc)
        return start, start + timedelta(days=1)

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class CityClosure(TenantScoped, Timestamps, db.Model):
    """A day the city's office is shut beyond the national calendar (a local holiday, a move, a
    system outage): no pickup slots, no courier hand-overs, no reminders that day."""

    __tablename__ = "city_closure"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date())
    reason: Mapped[str] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    __table_args__ = (sa.UniqueConstraint("tenant_id", "day"),)
