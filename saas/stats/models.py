"""Per-city, per-local-day figures: what the comparison reads instead of scanning documents."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.models import BigIntPK, UTCDateTime, utcnow
from saas.tenancy.scope import TenantScoped

# Upper edges (hours) of the time-to-hand histogram; the last bucket is open-ended.
HOUR_EDGES = (0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 30, 36, 48, 60, 72, 96, 120, 144,
              168, 216, 264, 336, 504, 720, 1080, 1440)
BUCKETS = len(HOUR_EDGES) + 1
FLOW_COLUMNS = ("ready", "collected", "delivered", "deliveries_closed", "deliveries_failed", "deliveries_returned",
                "notifications_total", "notifications_delivered", "ratings_count", "ratings_sum")


class CityFlows:
    """The flows a rollup counts (a day's, or the sum of a month's days)."""

    ready: Mapped[int] = mapped_column(default=0)
    collected: Mapped[int] = mapped_column(default=0)
    delivered: Mapped[int] = mapped_column(default=0)
    deliveries_closed: Mapped[int] = mapped_column(default=0)
    deliveries_failed: Mapped[int] = mapped_column(default=0)
    deliveries_returned: Mapped[int] = mapped_column(default=0)
    notifications_total: Mapped[int] = mapped_column(default=0)
    notifications_delivered: Mapped[int] = mapped_column(default=0)
    ratings_count: Mapped[int] = mapped_column(default=0)
    ratings_sum: Mapped[int] = mapped_column(default=0)


class DailyCityStats(CityFlows, TenantScoped, db.Model):
    """One row per city and local day.

    Flows (documents made ready, collected, delivered; deliveries finished and how; messages
    and ratings) count on the local day they happened; ``h00``… are a histogram of hours from
    ready to in the citizen's hands for documents handed over that day; ``uncollected_7d`` is
    the backlog at the end of the day.
    """

    __tablename__ = "daily_city_stats"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date())
    uncollected_7d: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "day"),)


for _n in range(BUCKETS):
    setattr(DailyCityStats, f"h{_n:02d}", sa.orm.mapped_column(f"h{_n:02d}", sa.Integer, default=0, nullable=False))

HISTOGRAM_COLUMNS = tuple(f"h{n:02d}" for n in range(BUCKETS))

#: A list of whole numbers: an integer array on PostgreSQL, JSON elsewhere.
IntegerList = sa.JSON().with_variant(postgresql.ARRAY(sa.Integer()), "postgresql")


class MonthlyCityStats(CityFlows, TenantScoped, db.Model):
    """One row per city and local calendar month: the sums of its daily rows.

    ``month`` is the month's first day. The flows and the histogram are the sums of the month's
    ``daily_city_stats`` rows (so a long range reads a row a month, not a row a day);
    ``daily_ready`` is the month's ``ready`` day by day (index 0 is the 1st), which draws the
    comparison's volume line for any range without reading the daily rows. There is no backlog
    here: it is a figure of a moment, read from the daily row of the range's last day.
    """

    __tablename__ = "monthly_city_stats"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    month: Mapped[date] = mapped_column(sa.Date())
    daily_ready: Mapped[list] = mapped_column(IntegerList, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "month"),)


for _n in range(BUCKETS):
    setattr(MonthlyCityStats, f"h{_n:02d}", sa.orm.mapped_column(f"h{_n:02d}", sa.Integer, default=0, nullable=False))
