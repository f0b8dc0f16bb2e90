"""Delivery statuses move forward only, whatever order the couriers' callbacks arrive in."""
from __future__ import annotations

from saas.couriers.models import TERMINAL, Delivery, DeliveryEvent
from saas.extensions import db
from saas.models import utcnow
from saas.security import redact_niks

# How far along a trip each status is; a report may only move a delivery further along.
RANK = {
    "quoted": 0, "booked": 1, "driver_assigned": 2, "picked_up": 3, "on_hold": 3,
    "delivered": 4, "cancelled": 4, "failed": 4, "returned": 4,
}

#: Called as ``hook(delivery, event)`` after each change, inside the transaction: the
#: documents follow their delivery, and the notification outbox records what the citizen hears.
ON_DELIVERY_CHANGE: list = []


def can_move(current: str, new: str) -> bool:
    if current == new or current in TERMINAL:
        return False
    if {current, new} == {"picked_up", "on_hold"}:
        return True  # a held parcel goes back on the road, and a moving one can be held
    return RANK[new] > RANK[current]


def move(delivery: Delivery, new_status: str, *, source: str, provider_status: str | None = None,
         note: str | None = None, at=None) -> DeliveryEvent | None:
    """Apply a status if it moves the delivery forward; a late or repeated one changes nothing."""
    if not can_move(delivery.status, new_status):
        return None
    moment = at or utcnow()
    event = DeliveryEvent(tenant_id=delivery.tenant_id, delivery=delivery, status=new_status,
                          provider_status=provider_status, source=source,
                          note=redact_niks(note or "")[:300] or None, at=moment)
    delivery.status = new_status
    if provider_status:
        delivery.provider_status = provider_status
    if new_status in TERMINAL:
        delivery.closed_at = moment
    db.session.add(event)
    for hook in ON_DELIVERY_CHANGE:
        hook(delivery, event)
    return event
