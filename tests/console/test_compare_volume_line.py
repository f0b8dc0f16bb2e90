"""The comparison's volume line over long ranges: each point is the sum of the days it covers."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from saas.extensions import db
from saas.stats.models import DailyCityStats
from saas.stats.services import SERIES_POINTS, compare, roll_up_months
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant


def _ready_on(day_index: int, city: int) -> int:
    """Counts that differ day to day (and city to city), so one day's count never passes for a bucket's sum."""
    return (day_index * 7 + city * 3) % 11 + 1


@pytest.mark.parametrize("span", [45, 120, 365])
def test_each_point_of_the_volume_line_is_the_sum_of_its_days(app, span):
    """A year of a city must not draw as one day a week: the line is summed per bucket of whole days."""
    first = date(2025, 3, 1)
    last = first + timedelta(days=span - 1)
    slugs = ("balikpapan", "samarinda")
    with app.app_context():
        tenants = [get_tenant(slug) for slug in slugs]
        for city, tenant in enumerate(tenants):
            with tenant_bound(tenant):
                # a day on each side of the range, which must not count
                for offset in [-1, *range(span), span]:
                    db.session.add(DailyCityStats(tenant_id=tenant.id, day=first + timedelta(days=offset),
                                                  ready=_ready_on(offset, city) if 0 <= offset < span else 1000,
                                                  uncollected_7d=100 * city + offset))
                db.session.flush()
            roll_up_months(tenant, first - timedelta(days=1), last + timedelta(days=1))  # as the refreshes do
            db.session.commit()
        figures = {f.slug: f for f in compare(tenants, first, last)}
    days_per_point = -(-span // SERIES_POINTS)
    for city, slug in enumerate(slugs):
        days = [_ready_on(n, city) for n in range(span)]
        expected = [sum(days[start:start + days_per_point]) for start in range(0, span, days_per_point)]
        assert len(expected) <= SERIES_POINTS
        assert figures[slug].daily_ready == expected, slug
        assert sum(figures[slug].daily_ready) == figures[slug].ready == sum(days), slug
        # the backlog is the last day's, whether that day is an edge day, inside a whole month or alone
        assert figures[slug].uncollected_7d == 100 * city + span - 1, slug
