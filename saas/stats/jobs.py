"""Keeping the rollups current: every change touches its city's local day, a job recomputes it."""
from __future__ import annotations

import logging
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from saas.couriers.lifecycle import ON_DELIVERY_CHANGE
from saas.couriers.models import TERMINAL
from saas.documents.lifecycle import ON_TRANSITION
from saas.extensions import db
from saas.jobs import periodic, runtime
from saas.models import utcnow
from saas.notifications.services import ON_NOTIFICATION_CHANGE
from saas.portal.services import ON_RATING
from saas.stats import services
from saas.tenancy.models import Tenant

log = logging.getLogger(__name__)
_TOUCHED = "antar_stats_touched"


def touch(tenant, moment) -> None:
    """Mark the city's local day of ``moment`` for recomputation once this transaction commits."""
    session = db.session()
    session.info.setdefault(_TOUCHED, set()).add((tenant.id, tenant.local_date(moment or utcnow())))
    session.info.setdefault(_TOUCHED + "_app", current_app._get_current_object())


@sa_event.listens_for(Session, "after_commit")
def _enqueue_refreshes(session):
    if session.in_nested_transaction():
        return
    touched = session.info.pop(_TOUCHED, None)
    app = session.info.pop(_TOUCHED + "_app", None)
    if not touched or app is None:
        return
    by_tenant: dict[int, set[date]] = {}
    for tenant_id, day in touched:
        by_tenant.setdefault(tenant_id, set()).add(day)
    try:
        job_runtime = runtime(app)
        connection = job_runtime.connection()
        for tenant_id, days in by_tenant.items():
            # A burst of changes to the same city-day makes one job, not hundreds.
            fresh = [d.isoformat() for d in sorted(days)
                     if connection.set(f"antar:stats:due:{tenant_id}:{d.isoformat()}", 1, nx=True, ex=10)]
            if fresh:
                job_runtime.enqueue(refresh_days, tenant_id, fresh, queue="stats", result_ttl=60)
    except Exception:  # Redis down: the hourly refresh and `stats rebuild` catch up
        log.warning("could not enqueue stats refreshes", exc_info=True)


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget(session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop(_TOUCHED, None)


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


def _document_moved(document, event) -> None:
    touch(document.tenant, event.at)


def _delivery_changed(delivery, event) -> None:
    if event.status in TERMINAL:
        touch(delivery.tenant, event.at)


def _notification_changed(notification) -> None:
    touch(db.session.get(Tenant, notification.tenant_id), notification.created_at)


def _rated(rating) -> None:
    touch(db.session.get(Tenant, rating.tenant_id), rating.at)


ON_TRANSITION.append(_document_moved)
ON_DELIVERY_CHANGE.append(_delivery_changed)
ON_NOTIFICATION_CHANGE.append(_notification_changed)
ON_RATING.append(_rated)
