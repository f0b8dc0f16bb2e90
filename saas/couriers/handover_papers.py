"""The handover's papers: the Berita Acara Serah Terima of one envelope, and the day's list.

The desk records the seal, the driver and the plate once (``services.hand_over``); these read that
record back for paper, so what the driver signs is exactly what Antar holds.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from saas.accounts.models import User
from saas.couriers.models import Delivery
from saas.extensions import db
from saas.tenancy.scope import current_tenant


def record_number(delivery: Delivery) -> str:
    """BAST-20261125-123: the city's day of the handover and the trip, stable across reprints."""
    return f"BAST-{current_tenant.local_date(delivery.handed_over_at):%Y%m%d}-{delivery.id}"


def handed_over(delivery: Delivery) -> bool:
    """Only an envelope the desk gave a driver has a record to sign."""
    return delivery.handed_over_at is not None


def handovers_on(day: date) -> list[Delivery]:
    """Every envelope handed to a driver on the city's calendar ``day``, in the order they left."""
    start, end = current_tenant.day_bounds(day)
    return list(db.session.scalars(
        sa.select(Delivery).where(Delivery.handed_over_at >= start, Delivery.handed_over_at < end)
        .options(selectinload(Delivery.documents)).order_by(Delivery.handed_over_at, Delivery.id)))


def officer_names(deliveries: list[Delivery]) -> dict[int, str]:
    """Who handed each envelope over: staff of this city only (``User`` is a platform table)."""
    ids = {d.handed_over_by_id for d in deliveries if d.handed_over_by_id}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.name).where(
        User.id.in_(ids), User.tenant_id == current_tenant.id)).all())
