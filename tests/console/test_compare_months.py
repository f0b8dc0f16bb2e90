"""Long ranges read monthly rollups: a month's row is the sum of its days, kept so by the jobs and by
a rebuild, and the comparison over ranges that cut months at both ends equals the figures computed
straight from the raw events, in each city's own days."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from saas.documents.lifecycle import Actor, transition
from saas.documents.models import Document, DocumentEvent
from saas.documents.services import get_document
from saas.extensions import db
from saas.jobs import runtime
from saas.stats.models import HISTOGRAM_COLUMNS, DailyCityStats, MonthlyCityStats
from saas.stats.services import SERIES_POINTS, SUMMED_COLUMNS, compare, histogram, percentile
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.factories import add_document

CITIES = ("balikpapan", "surabaya")  # WITA and WIB: a local midnight falls on a different UTC hour
# (local moment made ready, hours until handed over or None, handed by courier): many beside a
# local midnight that ends a month, where the UTC date is still the day before.
DOCUMENTS = [
    ((2026, 1, 2, 10, 0), 3, False), ((2026, 1, 31, 23, 30), 13, False), ((2026, 2, 1, 0, 30), 30, True),
    ((2026, 2, 14, 9, 0), None, False), ((2026, 2, 28, 23, 50), 0.5, False), ((2026, 3, 1, 0, 10), 50, True),
    ((2026, 3, 15, 12, 0), 200, False), ((2026, 3, 31, 23, 30), 1, False), ((2026, 4, 1, 0, 30), 23.75, False),
    ((2026, 4, 28, 8, 0), 5, True),
]
RANGES = [
    (date(2026, 1, 31), date(2026, 3, 1)),    # a day of each cut month, a whole month between
    (date(2026, 1, 3), date(2026, 4, 29)),    # most of each cut month: the month less its days outside
    (date(2026, 1, 20), date(2026, 4, 10)),   # more than half of January, a third of April
    (date(2026, 2, 1), date(2026, 2, 28)),    # a whole month alone
    (date(2026, 2, 27), date(2026, 3, 2)),    # four days over a month's end
    (date(2026, 1, 1), date(2026, 4, 30)),
]


def _fill(app):
    for city, slug in enumerate(CITIES):
        zone = ZoneInfo(get_tenant_zone(app, slug))
        for n, (moment, hours, courier) in enumerate(DOCUMENTS):
            number = add_document(app, slug=slug, registration_no=f"MO-{city}{n:02d}")
            ready = datetime(*moment, tzinfo=zone) + timedelta(minutes=7 * city)
            steps = [("ready", ready)]
            if hours is not None:
                handed = ready + timedelta(hours=hours)
                steps += ([("delivery_requested", ready + timedelta(minutes=1)),
                           ("with_courier", ready + timedelta(minutes=2)), ("delivered", handed)]
                          if courier else [("collected", handed)])
            with app.app_context():
                with tenant_bound(get_tenant(slug)):
                    document = get_document(number)
                    for status, at in steps:
                        transition(document, status, Actor.system("test"), at=at)
                    db.session.commit()
                runtime(app).run_pending()


def get_tenant_zone(app, slug):
    with app.app_context():
        return get_tenant(slug).timezone


def _raw(app, slug, first, last):
    """From the events alone, by the city's local date, in Python: ready, collected, delivered,
    the hours to hand over, and the ready count of each day of the range."""
    with app.app_context():
        tenant = get_tenant(slug)
        zone = ZoneInfo(tenant.timezone)
        with tenant_bound(tenant):
            events = db.session.execute(sa.select(DocumentEvent.to_status, DocumentEvent.from_status,
                                                  DocumentEvent.at, Document.ready_at)
                                        .join(Document, Document.id == DocumentEvent.document_id)).all()
    counts, hours, per_day = Counter(), [], Counter()
    for to_status, from_status, at, ready_at in events:
        day = at.astimezone(zone).date()
        if not first <= day <= last:
            continue
        if to_status == "ready" and from_status == "received":
            counts["ready"] += 1
            per_day[day] += 1
        if to_status in ("collected", "delivered"):
            counts[to_status] += 1
            hours.append((at - ready_at).total_seconds() / 3600)
    return counts, hours, [per_day[first + timedelta(days=n)] for n in range((last - first).days + 1)]


def _months_and_days(app, slug):
    with app.app_context():
        with tenant_bound(get_tenant(slug)):
            months = {row.month: row for row in db.session.scalars(sa.select(MonthlyCityStats))}
            days = list(db.session.scalars(sa.select(DailyCityStats)))
    return months, days


def _assert_months_sum_their_days(app, slug):
    months, days = _months_and_days(app, slug)
    assert days, slug
    expected: dict = {}
    for row in days:
        month = row.day.replace(day=1)
        figures = expected.setdefault(month, {"sums": Counter(), "ready": {}})
        for column in SUMMED_COLUMNS:
            figures["sums"][column] += getattr(row, column)
        figures["ready"][row.day.day] = row.ready
    assert sorted(months) == sorted(expected), slug
    for month, figures in expected.items():
        row = months[month]
        assert {c: getattr(row, c) for c in SUMMED_COLUMNS} == {c: figures["sums"][c] for c in SUMMED_COLUMNS}
        assert row.daily_ready == [figures["ready"].get(n, 0) for n in range(1, len(row.daily_ready) + 1)]
        assert len(row.daily_ready) == ((month + timedelta(days=32)).replace(day=1) - month).days


def test_the_jobs_keep_each_month_the_sum_of_its_days_and_a_rebuild_makes_them_again(app):
    _fill(app)
    for slug in CITIES:
        _assert_months_sum_their_days(app, slug)
    months, _ = _months_and_days(app, "balikpapan")
    # 00:30 WITA on 1 February is 31 January in UTC: it is February's.
    assert months[date(2026, 2, 1)].daily_ready[0] == 1 and months[date(2026, 1, 1)].daily_ready[30] == 1
    assert months[date(2026, 2, 1)].ready == 3 and sum(months[date(2026, 2, 1)].daily_ready) == 3

    with app.app_context(), all_tenants():
        db.session.execute(sa.delete(MonthlyCityStats))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["stats", "rebuild", "--tenant", "surabaya"])
    assert result.exit_code == 0, result.output
    _assert_months_sum_their_days(app, "surabaya")


@pytest.mark.parametrize("first,last", RANGES)
def test_the_comparison_over_ranges_that_cut_months_equals_the_raw_events(app, first, last):
    _fill(app)
    with app.app_context():
        figures = {f.slug: f for f in compare([get_tenant(slug) for slug in CITIES], first, last)}
    step = -(-((last - first).days + 1) // SERIES_POINTS)
    for slug in CITIES:
        counts, hours, per_day = _raw(app, slug, first, last)
        city = figures[slug]
        assert (city.ready, city.collected, city.delivered) == (
            counts["ready"], counts["collected"], counts["delivered"]), (slug, first, last)
        expected_histogram = histogram(hours)
        assert len(expected_histogram) == len(HISTOGRAM_COLUMNS)
        assert (city.median_hours, city.p90_hours) == (percentile(expected_histogram, 0.5),
                                                       percentile(expected_histogram, 0.9)), (slug, first, last)
        assert city.daily_ready == [sum(per_day[n:n + step]) for n in range(0, len(per_day), step)], (slug, first, last)
