"""The periodic retention purge, one city at a time."""
from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from saas.extensions import db
from saas.jobs import periodic
from saas.privacy import services
from saas.tenancy.models import Tenant
from saas.tenancy.scope import tenant_bound

log = logging.getLogger(__name__)


@periodic(queue="default", interval=6 * 3600)
def purge_expired_personal_data(now: datetime | None = None) -> dict:
    """Recipients, message bodies and raw callbacks past each city's retention days are blanked
    (every six hours; idempotent). Each city commits on its own."""
    totals: dict[str, int] = {}
    for tenant in db.session.scalars(sa.select(Tenant)).all():
        with tenant_bound(tenant):
            done = services.purge_expired(now)
            db.session.commit()
        for key, count in done.items():
            totals[key] = totals.get(key, 0) + count
    log.info("retention purge: %s", totals)
    return totals
