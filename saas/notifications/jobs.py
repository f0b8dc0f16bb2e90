"""Notification jobs: the send, and the periodic sweeper, reminders and supervisors' digest."""
from __future__ import annotations

import logging
from datetime import date, time, timedelta

import sqlalchemy as sa

from saas.extensions import db
from saas.jobs import periodic
from saas.models import utcnow
from saas.notifications import services
from saas.tenancy.models import Tenant
from saas.tenancy.scope import tenant_bound

log = logging.getLogger(__name__)
DIGEST_LOCAL_HOUR = 7


def drain(tenant_id: int, lane: str) -> int:
    """A batch of one city's messages in one lane (``services.drain``)."""
    return services.drain(tenant_id, lane)


def _active_tenants() -> list[Tenant]:
    return list(db.session.scalars(sa.select(Tenant).where(Tenant.status == "active").order_by(Tenant.id)))


@periodic(queue="notifications", interval=60, interval_setting="SWEEP_INTERVAL")
def sweep_outbox() -> int:
    """Enqueue again what a Redis outage, a lost job or a killed worker left unsent."""
    replayed = 0
    for tenant in _active_tenants():
        with tenant_bound(tenant):
            items = services.sweep()
        if items:
            services.enqueue_sends(items)
            replayed += len(items)
    if replayed:
        log.info("sweeper re-enqueued %d notification(s)", replayed)
    return replayed


@periodic(queue="notifications", interval=3600)
def send_reminders() -> int:
    """'Still not collected' after the city's chosen days (the portal reminds of booked slots)."""
    from saas.documents.models import Document

    made = 0
    now = utcnow()
    for tenant in _active_tenants():
        days_list = (tenant.notification_settings or {}).get("uncollected_reminder_days", [])
        with tenant_bound(tenant):
            for days in sorted(days_list):
                cutoff = now - timedelta(days=days)
                waiting = db.session.scalars(sa.select(Document).where(
                    Document.status.in_(("ready", "returned")), Document.ready_at < cutoff,
                    Document.ready_at > cutoff - timedelta(days=30)).limit(2000)).all()
                for document in waiting:
                    occurrence = f"{document.id}:{days}d:{document.ready_at:%Y%m%d%H%M}"
                    if services.was_notified("uncollected_reminder", occurrence):
                        continue
                    if services.notify("uncollected_reminder", occurrence, document=document,
                                       extra={"days": str(days)}):
                        made += 1
            db.session.commit()
    return made


@periodic(queue="notifications", interval=900)
def send_supervisor_digests() -> int:
    """Each morning (07:00 in the city's time) an e-mail to its supervisors about yesterday."""
    from saas.accounts.models import User

    sent = 0
    now = utcnow()
    for tenant in _active_tenants():
        if not (tenant.notification_settings or {}).get("supervisor_digest", True):
            continue
        local = now.astimezone(tenant.zone)
        if local.time() < time(DIGEST_LOCAL_HOUR):
            continue
        yesterday: date = local.date() - timedelta(days=1)
        with tenant_bound(tenant):
            supervisors = db.session.scalars(sa.select(User).where(
                User.tenant_id == tenant.id, User.role.in_(("supervisor", "admin")), User.active.is_(True))).all()
            if not supervisors:
                continue
            summary = services.digest_summary(yesterday)
            day = yesterday.strftime("%d-%m-%Y")
            for user in supervisors:
                if services.was_notified("supervisor_digest", f"{yesterday.isoformat()}:{user.id}"):
                    continue
                if services.notify("supervisor_digest", f"{yesterday.isoformat()}:{user.id}", user=user,
                                   channels=["email"], extra={"name": user.name, "city": tenant.city_name,
                                                              "day": day, "summary": summary}):
                    sent += 1
            db.session.commit()
    return sent


