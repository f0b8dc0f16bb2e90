"""Portal jobs: the day-before reminder of a booked pickup slot."""
from __future__ import annotations

import sqlalchemy as sa

from saas.extensions import db
from saas.jobs import periodic
from saas.models import utcnow
from saas.notifications.services import in_quiet_hours
from saas.portal import services
from saas.tenancy.models import Tenant
from saas.tenancy.scope import tenant_bound


@periodic(queue="notifications_bulk", interval=3600)
def send_pickup_reminders() -> int:
    """The day before a booked slot, each citizen is reminded once."""
    made = 0
    now = utcnow()
    for tenant in db.session.scalars(sa.select(Tenant).where(Tenant.status == "active").order_by(Tenant.id)).all():
        with tenant_bound(tenant):
            if in_quiet_hours(now):
                continue
            made += services.tomorrows_reminders(now)
            db.session.commit()
    return made
