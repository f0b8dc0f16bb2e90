"""Keeping the rollups current: every change touches its city's local day, a job recomputes it."""
from __future__ import annotations

import logging
from datetime import date, timedelta

import sqlalchemy as sa

from saas.couriers.lifecycle import DeliveryMoved
from saas.couriers.models import TERMINAL
from saas.documents.lifecycle import DocumentMoved
from saas.extensions import db
from saas.jobs import after_commit, periodic, runtime
from saas.models import utcnow
from saas.notifications.services import NotificationChanged
from saas.portal.services import Rated
from saas.stats import services
from saas.tenancy.models import Tenant

log = logging.getLogger(__name__)


def touch(tenant, moment) -> None:
    """Mark the city's local day of ``moment`` for recomputation once this transaction commits."""
    after_commit(_enqueue_refreshes, (tenant.id, tenant.local_date(moment or utcnow())))


def _enqueue_refreshes(touched: list[tuple[int, date]]) -> None:
    by_tenant: dict[int, set[date]] = {}
    for tenant_id, day in touched:
        by_tenant.setdefault(tenant_id, set()).add(day)
    job_runtime = runtime()
    connection = job_runtime.connection()
    for tenant_id, days in by_tenant.items():
        # A burst of changes to the same city-day makes one job, not hundreds.
        fresh = [d.isoformat() for d in sorted(days)
                 if connection.set(f"antar:stats:due:{tenant_id}:{d.isoformat()}", 1, nx=True, ex=10)]
        if fresh:
            job_runtime.enqueue(refresh_days, tenant_id, fresh, queue="stats", result_ttl=60)


def refresh_days(tenant_id: int, days: list[str]) -> int:
    # Changes from now on must enqueue a fresh job: this one may already have read past them.
    runtime().connection().delete(*[f"antar:stats:due:{tenant_id}:{day}" for day in days])
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        return 0
    for day in days:
        services.refresh_city_day(tenant, date.fromisoformat(day))
    db.session.commit()
    return len(days)


@periodic(queue="stats", interval=3600)
def refresh_recent_days() -> int:
    """Today's and yesterday's backlog moves with the clock, not with events: refresh hourly."""
    count = 0
    for tenant in db.session.scalars(sa.select(Tenant).where(Tenant.status == "active")).all():
        today = tenant.local_date(utcnow())
        for day in (today - timedelta(days=1), today):
            services.refresh_city_day(tenant, day)
            count += 1
        db.session.commit()
    return count


# -- subscribers (wired in ``saas.stats.wire``) -------------------------------------------------------
def document_moved(moved: DocumentMoved) -> None:
    touch(moved.document.tenant, moved.event.at)


def delivery_moved(moved: DeliveryMoved) -> None:
    if moved.event.status in TERMINAL:
        touch(moved.delivery.tenant, moved.event.at)


def notification_changed(changed: NotificationChanged) -> None:
    touch(db.session.get(Tenant, changed.notification.tenant_id), changed.notification.created_at)


def rated(rated_event: Rated) -> None:
    touch(db.session.get(Tenant, rated_event.rating.tenant_id), rated_event.rating.at)
