"""Computing a city's day, keeping the rollups current, and comparing cities from them."""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa

from saas.couriers.models import Delivery
from saas.documents.models import Document, DocumentEvent
from saas.extensions import db
from saas.models import utcnow
from saas.notifications.models import Notification
from saas.portal.models import Rating
from saas.stats.models import BUCKETS, FLOW_COLUMNS, HISTOGRAM_COLUMNS, HOUR_EDGES, DailyCityStats, MonthlyCityStats
from saas.tenancy.models import Tenant
from saas.tenancy.scope import tenant_bound

BACKLOG_DAYS = 7
SERIES_POINTS = 60
#: The columns a month sums from its days (and the comparison sums over a range).
SUMMED_COLUMNS = FLOW_COLUMNS + HISTOGRAM_COLUMNS
_READY = SUMMED_COLUMNS.index("ready")


def day_bounds(tenant: Tenant, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=tenant.zone).astimezone(timezone.utc)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tenant.zone).astimezone(timezone.utc)


def bucket_of(hours: float) -> int:
    return bisect.bisect_left(HOUR_EDGES, hours)


def histogram(hours_list) -> list[int]:
    counts = [0] * BUCKETS
    for hours in hours_list:
        counts[bucket_of(max(hours, 0.0))] += 1
    return counts


def percentile(counts: list[int], fraction: float) -> float | None:
    """The ``fraction`` quantile of a histogram, interpolating linearly inside its bucket."""
    total = sum(counts)
    if total == 0:
        return None
    target = fraction * total
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= target:
            low = HOUR_EDGES[index - 1] if index > 0 else 0.0
            high = HOUR_EDGES[index] if index < len(HOUR_EDGES) else HOUR_EDGES[-1] * 1.5
            return round(low + (high - low) * (target - seen) / count, 2)
        seen += count
    return HOUR_EDGES[-1]


def compute_city_day(tenant: Tenant, day: date, now: datetime | None = None) -> dict:
    """A city's figures for one of its local days, straight from its raw rows (bound to it)."""
    start, end = day_bounds(tenant, day)
    ev = DocumentEvent
    # Test data (made with a test API token) is no city's work: it never enters the figures.
    real = sa.and_(Document.id == ev.document_id, Document.is_test.is_(False))
    moves = dict(db.session.execute(
        sa.select(ev.to_status, sa.func.count()).join(Document, real).where(
            ev.at >= start, ev.at < end, ev.to_status.in_(("collected", "delivered")))
        .group_by(ev.to_status)).all())
    ready = db.session.scalar(sa.select(sa.func.count()).select_from(ev).join(Document, real).where(
        ev.at >= start, ev.at < end, ev.to_status == "ready", ev.from_status == "received")) or 0
    handed = db.session.execute(sa.select(ev.at, Document.ready_at).join(Document, real)
                                .where(ev.at >= start, ev.at < end, ev.to_status.in_(("collected", "delivered")),
                                       Document.ready_at.is_not(None))).all()
    hours = [(at - ready_at).total_seconds() / 3600 for at, ready_at in handed]
    closed = dict(db.session.execute(sa.select(Delivery.status, sa.func.count()).where(
        Delivery.closed_at >= start, Delivery.closed_at < end, Delivery.status != "cancelled")
        .group_by(Delivery.status)).all())
    messages = dict(db.session.execute(sa.select(Notification.status, sa.func.count()).where(
        Notification.created_at >= start, Notification.created_at < end, Notification.status != "test")
        .group_by(Notification.status)).all())
    ratings = db.session.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Rating.score), 0))
                                 .join(Document, sa.and_(Document.id == Rating.document_id, Document.is_test.is_(False)))
                                 .where(Rating.at >= start, Rating.at < end)).one()
    moment = min(end, now or utcnow())
    backlog = db.session.scalar(sa.select(sa.func.count()).select_from(Document).where(
        Document.ready_at < moment - timedelta(days=BACKLOG_DAYS), Document.is_test.is_(False),
        sa.or_(Document.closed_at.is_(None), Document.closed_at >= moment))) or 0
    figures = {
        "ready": ready, "collected": moves.get("collected", 0), "delivered": moves.get("delivered", 0),
        "deliveries_closed": sum(closed.values()), "deliveries_failed": closed.get("failed", 0),
        "deliveries_returned": closed.get("returned", 0), "notifications_total": sum(messages.values()),
        "notifications_delivered": messages.get("delivered", 0), "ratings_count": ratings[0],
        "ratings_sum": int(ratings[1]), "uncollected_7d": backlog,
    }
    figures.update(dict(zip(HISTOGRAM_COLUMNS, histogram(hours))))
    return figures


def store_city_day(tenant: Tenant, day: date, figures: dict) -> None:
    row = db.session.scalar(sa.select(DailyCityStats).where(DailyCityStats.day == day))
    if row is None:
        row = DailyCityStats(tenant_id=tenant.id, day=day)
        db.session.add(row)
    for key, value in figures.items():
        setattr(row, key, value)


def refresh_city_day(tenant: Tenant, day: date) -> None:
    with tenant_bound(tenant):
        store_city_day(tenant, day, compute_city_day(tenant, day))
        db.session.flush()  # while the city is bound: the row is stamped and checked as its own
        roll_up_months(tenant, day, day)


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _months(first: date, last: date) -> list[date]:
    months, month = [], month_of(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def _insert_missing(rows: list[dict]):
    """``INSERT … ON CONFLICT DO NOTHING`` in the dialect at hand."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(MonthlyCityStats).values(rows).on_conflict_do_nothing(index_elements=["tenant_id", "month"])


def roll_up_months(tenant: Tenant, first: date, last: date) -> int:
    """Recompute the city's monthly rows for every month from ``first``'s to ``last``'s from its
    daily rows; returns the months written. Call with the daily rows flushed.

    Two refreshes of days of one month may run at once: the month's row is made if missing and
    locked before the days are read, so the second waits for the first and reads its days."""
    months = _months(first, last)
    start, end = months[0], next_month(months[-1])
    with tenant_bound(tenant):
        db.session.execute(_insert_missing([{"tenant_id": tenant.id, "month": m, "daily_ready": []} for m in months]))
        stored = {row.month: row for row in db.session.scalars(
            sa.select(MonthlyCityStats).where(MonthlyCityStats.month >= start, MonthlyCityStats.month < end)
            .with_for_update())}
        d = DailyCityStats
        sums: dict[date, list[int]] = {}
        ready: dict[date, list[int]] = {}
        for day, *values in db.session.execute(sa.select(d.day, *[getattr(d, c) for c in SUMMED_COLUMNS])
                                               .where(d.day >= start, d.day < end)):
            month = month_of(day)
            if month not in sums:
                sums[month] = [0] * len(SUMMED_COLUMNS)
                ready[month] = [0] * (next_month(month) - month).days
            sums[month] = [a + (b or 0) for a, b in zip(sums[month], values)]
            ready[month][day.day - 1] = values[_READY] or 0
        for month, row in stored.items():
            if month not in sums:  # no day of it is kept: nor is the month
                db.session.delete(row)
                continue
            for column, value in zip(SUMMED_COLUMNS, sums[month]):
                setattr(row, column, value)
            row.daily_ready = ready[month]
        db.session.flush()
    return len(sums)


def rebuild(tenant: Tenant, since: date | None = None, until: date | None = None) -> int:
    """Recompute every day of a city from its first event to today; returns the days written."""
    with tenant_bound(tenant):
        first = db.session.scalar(sa.select(sa.func.min(DocumentEvent.at)))
        if first is None:
            return 0
        start = since or first.astimezone(tenant.zone).date()
        end = until or utcnow().astimezone(tenant.zone).date()
        day, written = start, 0
        while day <= end:
            store_city_day(tenant, day, compute_city_day(tenant, day))
            written += 1
            day += timedelta(days=1)
        db.session.flush()
        if written:
            roll_up_months(tenant, start, end)
        db.session.commit()
        return written


# -- comparing cities ------------------------------------------------------------------------------
@dataclass
class CityFigures:
    tenant_id: int
    slug: str
    city: str
    timezone: str
    ready: int = 0
    collected: int = 0
    delivered: int = 0
    courier_share: float | None = None
    median_hours: float | None = None
    p90_hours: float | None = None
    failed_share: float | None = None
    notifications_delivered_share: float | None = None
    uncollected_7d: int = 0
    rating_average: float | None = None
    ratings: int = 0
    daily_ready: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "tenant_id"}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _range_plan(first: date, last: date) -> tuple[list[date], list[date], list[date]]:
    """How to sum a range of days with the fewest rows: whole months from the monthly rows; a month
    the range cuts adds its days in the range, or, when they are most of it, adds the month and
    takes away its days outside the range. Returns (months, days to add, days to take away)."""
    months, plus, minus = [], [], []
    for month in _months(first, last):
        after = next_month(month)
        low, high = max(month, first), min(after - timedelta(days=1), last)
        inside, length = (high - low).days + 1, (after - month).days
        if inside == length:
            months.append(month)
        elif inside <= length - inside:
            plus.extend(low + timedelta(days=n) for n in range(inside))
        else:
            months.append(month)
            minus.extend(month + timedelta(days=n) for n in range(length)
                         if not low <= month + timedelta(days=n) <= high)
    return months, plus, minus


def _among(column, ids: list[int]):
    """``column IN ids``; on PostgreSQL as ``= ANY(array)``, one parameter instead of one per city
    (514 placeholders a query would be parsed afresh by the driver each time)."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY
        return column == sa.any_(sa.bindparam(None, ids, type_=ARRAY(sa.Integer())))
    return column.in_(ids)


def compare(tenants: list[Tenant], first: date, last: date) -> list[CityFigures]:
    """The comparison table, from the rollups only, in two reads whatever the range's length: a row
    a city and month for the whole months of the range, a row a city and day for the days the
    range's ends cut from their months (at most half a month each) and for the backlog; and the
    months' day-by-day counts for the volume line."""
    ids = [t.id for t in tenants]
    by_id = {t.id: t for t in tenants}
    months, plus, minus = _range_plan(first, last)
    m, s = MonthlyCityStats, DailyCityStats
    # One read for the sums and the backlog: the whole months, the edge days added (+1) or taken
    # away (-1), and the range's last day for its backlog (0: counted in no sum unless it is an edge day).
    sign = sa.case((s.day.in_(plus), 1), (s.day.in_(minus), -1), else_=0)
    edge_days = sa.select(s.tenant_id, *[(getattr(s, c) * sign).label(c) for c in SUMMED_COLUMNS],
                     sa.case((s.day == last, s.uncollected_7d), else_=None).label("backlog")).where(
        _among(s.tenant_id, ids), s.day.in_([*plus, *minus, last]))
    whole = sa.select(m.tenant_id, *[getattr(m, c).label(c) for c in SUMMED_COLUMNS],
                      sa.cast(sa.null(), sa.Integer).label("backlog")).where(
        _among(m.tenant_id, ids), m.month.in_(months))
    both = sa.union_all(edge_days, whole).subquery()
    totals: dict[int, list[int]] = {}
    backlog: dict[int, int] = {}
    for tenant_id, uncollected, *values in db.session.execute(
            sa.select(both.c.tenant_id, sa.func.max(both.c.backlog), *[sa.func.sum(both.c[c]) for c in SUMMED_COLUMNS])
            .group_by(both.c.tenant_id).execution_options(all_tenants=True)):
        totals[tenant_id] = [int(v or 0) for v in values]
        backlog[tenant_id] = uncollected
    # The volume line: one point a day, or the sum of a few days a point for long ranges (at most
    # 60), drawn from the months' day-by-day counts.
    span = (last - first).days + 1
    step = -(-span // SERIES_POINTS)
    series: dict[int, list[int]] = {}
    # psycopg gives PostgreSQL's integer arrays as lists of ints already: SQLAlchemy's ARRAY would
    # walk every element again (a third of the comparison's time over a year), so it is told not to.
    ready_by_day = (sa.type_coerce(m.daily_ready, sa.types.NullType()) if db.engine.dialect.name == "postgresql"
                    else m.daily_ready)
    for tenant_id, month, daily_ready in db.session.execute(
            sa.select(m.tenant_id, m.month, ready_by_day).where(
                _among(m.tenant_id, ids), m.month >= month_of(first), m.month <= last)
            .execution_options(all_tenants=True)):
        days = series.setdefault(tenant_id, [0] * span)
        offset = (month - first).days  # the range's index of the month's first day
        low, high = max(0, offset), min(span, offset + len(daily_ready))
        if low < high:
            days[low:high] = daily_ready[low - offset:high - offset]
    results = {t.id: CityFigures(t.id, t.slug, t.city_name, t.timezone) for t in tenants}
    for tenant_id, values in totals.items():
        flows = dict(zip(FLOW_COLUMNS, values[:len(FLOW_COLUMNS)]))
        hist = values[len(FLOW_COLUMNS):]
        figures = results[tenant_id]
        figures.ready, figures.collected, figures.delivered = flows["ready"], flows["collected"], flows["delivered"]
        figures.courier_share = _share(flows["delivered"], flows["delivered"] + flows["collected"])
        figures.median_hours, figures.p90_hours = percentile(hist, 0.5), percentile(hist, 0.9)
        figures.failed_share = _share(flows["deliveries_failed"] + flows["deliveries_returned"],
                                      flows["deliveries_closed"])
        figures.notifications_delivered_share = _share(flows["notifications_delivered"], flows["notifications_total"])
        figures.ratings = flows["ratings_count"]
        figures.rating_average = round(flows["ratings_sum"] / flows["ratings_count"], 2) if flows["ratings_count"] else None
    empty = [0] * span
    for tenant_id, figures in results.items():
        figures.uncollected_7d = int(backlog.get(tenant_id, 0) or 0)
        days = series.get(tenant_id, empty)
        figures.daily_ready = [sum(days[start:start + step]) for start in range(0, span, step)]
    return [results[t.id] for t in tenants if t.id in by_id]


SORTABLE = ("city", "ready", "collected", "delivered", "courier_share", "median_hours", "p90_hours", "failed_share",
            "notifications_delivered_share", "uncollected_7d", "rating_average", "ratings")


def sort_figures(figures: list[CityFigures], key: str, descending: bool) -> list[CityFigures]:
    if key not in SORTABLE:
        key = "city"
    present = [f for f in figures if getattr(f, key) is not None]
    missing = [f for f in figures if getattr(f, key) is None]
    return sorted(present, key=lambda f: getattr(f, key), reverse=descending) + missing
