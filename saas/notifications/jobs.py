"""Notification jobs: the send, and the periodic sweeper, reminders and supervisors' digest."""
from __future__ import annotations

import logging
from datetime import date, time, timedelta

import sqlalchemy as sa

from saas.extensions import db
from saas.jobs import periodic
from saas.models import utcnow
from saas.notifications import services
from saas.tenancy import calendar
from saas.tenancy.models import Tenant
from saas.tenancy.scope import tenant_bound

log = logging.getLogger(__name__)
DIGEST_LOCAL_HOUR = 7


def drain_lane(lane: str, tenant_id: int | None = None) -> int:
    """The lane's due messages, every city's interleaved (``services.drain``)."""
    return services.drain(lane, tenant_id)


def drain(tenant_id: int, lane: str) -> int:
    """A drain job queued by the code before ``drain_lane`` (one city at a time): the city is
    due, and the lane is drained."""
    return services.drain(lane, tenant_id)


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


@periodic(queue="notifications_bulk", interval=3600)
def send_reminders() -> int:
    """'Still not collected', once an hour: per document at most one reminder, the latest step it
    reached, saying how many days it has really waited; nothing in the city's quiet hours nor on a
    day its office is shut (holiday, cuti bersama, the city's closure); a
    backlog (after downtime, say) spread over the hours left before them."""
    made = 0
    now = utcnow()
    for tenant in _active_tenants():
        days_list = (tenant.notification_settings or {}).get("uncollected_reminder_days", [])
        with tenant_bound(tenant):
            if not days_list or services.in_quiet_hours(now):
                continue
            if calendar.closed_reason(tenant.local_date(now)):
                continue  # "come and collect it" on a day the office is shut: they go on its next open day
            due = services.reminders_due(days_list, now)
            allowance = max(REMINDERS_PER_RUN_AT_LEAST, -(-len(due) // services.awake_hours_left(now)))
            for document, step in due[:allowance]:
                waited = (now - document.ready_at).days
                if services.notify("uncollected_reminder", services.reminder_occurrence(document, step),
                                   document=document, extra={"days": str(waited)}):
                    made += 1
            db.session.commit()
    return made


#: Below this many due reminders a city's run sends them all; above it they spread over the day.
REMINDERS_PER_RUN_AT_LEAST = 100


@periodic(queue="notifications_bulk", interval=900)
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
        with tenant_bound(tenant):
            if services.in_quiet_hours(now):
                continue
        yesterday: date = local.date() - timedelta(days=1)
        with tenant_bound(tenant):
            supervisors = db.session.scalars(sa.select(User).where(
                User.tenant_id == tenant.id, User.role.in_(("supervisor", "admin")), User.active.is_(True))).all()
            if not supervisors:
                continue
            summary = services.digest_summary(yesterday, now)
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


