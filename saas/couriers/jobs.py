"""Courier jobs: booking (retried, never twice), booking at the opening, polling the silent, purging old
addresses."""
from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from saas.couriers import services
from saas.couriers.models import Delivery
from saas.couriers.providers import provider_for
from saas.couriers.providers.base import ProviderError
from saas.extensions import db
from saas.jobs import periodic
from saas.tenancy.models import Tenant
from saas.tenancy.scope import tenant_bound

log = logging.getLogger(__name__)
SILENT_AFTER = timedelta(minutes=20)
UNBOOKED_AFTER = timedelta(minutes=10)
MAX_BOOKING_ROUNDS = 10


def _locked_delivery(delivery_id: int) -> Delivery | None:
    """The row under a lock, so two workers never book the same delivery at once."""
    return db.session.scalar(sa.select(Delivery).where(Delivery.id == delivery_id).with_for_update())


def book_delivery(tenant_id: int, delivery_id: int) -> str:
    tenant = db.session.get(Tenant, tenant_id)
    with tenant_bound(tenant):
        for _ in range(3):
            try:
                delivery = _locked_delivery(delivery_id)
                if delivery is None:
                    return "gone"
                try:
                    outcome = services.book(delivery)
                except ProviderError:
                    db.session.commit()  # keep the attempt count; RQ retries with backoff
                    raise
                db.session.commit()
                return outcome
            except (StaleDataError, sa.exc.IntegrityError):
                # The courier's first callback recorded the booking meanwhile: look again.
                db.session.rollback()
        return "busy"


@periodic(queue="couriers", interval=300)
def poll_silent_deliveries() -> int:
    """Ask the courier about trips we have not heard of for a while (a lost callback, say), and
    book again the trips whose booking job was lost (Redis down at the commit, say)."""
    asked = 0
    for tenant in db.session.scalars(sa.select(Tenant).where(Tenant.status == "active")).all():
        with tenant_bound(tenant):
            for delivery_id in [d.id for d in services.silent_deliveries(SILENT_AFTER)]:
                try:
                    delivery = db.session.get(Delivery, delivery_id)
                    report = provider_for(delivery.provider).get_status(delivery.provider_ref)
                    services.apply_report(delivery, report, source="poll")
                    db.session.commit()
                    asked += 1
                except Exception:  # one delivery's trouble must not stop the round for the others
                    db.session.rollback()
                    log.warning("status of delivery %s not available", delivery_id, exc_info=True)
            for delivery in services.unbooked_deliveries(UNBOOKED_AFTER):
                if delivery.booking_attempts >= MAX_BOOKING_ROUNDS:
                    delivery.office_alert = delivery.office_alert or str(
                        _l("The courier could not be booked after many tries: call the courier."))
                else:
                    services.schedule_booking(delivery)
            db.session.commit()
    return asked


@periodic(queue="couriers", interval=120)
def book_scheduled_deliveries() -> int:
    """At each city's courier opening, book the trips asked for while couriers were off: quoted
    again, booked once (the same locked path as any booking), and the citizen is told either way.
    A courier that is down now is simply tried again on the next round."""
    booked = 0
    for tenant in db.session.scalars(sa.select(Tenant).where(Tenant.status == "active").order_by(Tenant.id)).all():
        with tenant_bound(tenant):
            if not services.courier_hours_open():
                continue
            due = services.due_scheduled_deliveries()
        for delivery_id in due:
            try:
                outcome = book_delivery(tenant.id, delivery_id)
            except ProviderError:
                log.warning("scheduled delivery %s not booked yet; next round", delivery_id, exc_info=True)
                continue
            # "already booked": the courier's own callback recorded the booking before this job's
            # commit (the job then looks again and finds it booked). It was due and unbooked a moment ago.
            booked += outcome in ("booked", "adopted", "awaiting callback", "already booked")
    return booked


@periodic(queue="default", interval=6 * 3600)
def purge_old_addresses() -> int:
    """Addresses of trips past the retention period are erased (every six hours; idempotent)."""
    purged = 0
    for tenant in db.session.scalars(sa.select(Tenant)).all():
        with tenant_bound(tenant):
            purged += services.purge_old_addresses()
            db.session.commit()
    return purged
