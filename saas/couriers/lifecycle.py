"""Delivery statuses move forward only, whatever order the couriers' callbacks arrive in."""
from __future__ import annotations

from dataclasses import dataclass

from saas.couriers.models import TERMINAL, Delivery, DeliveryEvent
from saas.extensions import db
from saas.models import utcnow
from saas.security import redact_niks

# How far along a trip each status is; a report may only move a delivery further along.
RANK = {
    "quoted": 0, "booked": 1, "driver_assigned": 2, "picked_up": 3, "on_hold": 3,
    "delivered": 4, "cancelled": 4, "failed": 4, "returned": 4,
}



@dataclass(frozen=True)
class DeliveryMoved:
    """Told after a delivery moved and its documents followed; ``news`` is what the citizen
    should hear (courier_booked, driver_assigned, picked_up, delivered, delivery_failed,
    delivery_returned), or None."""

    delivery: Delivery
    event: DeliveryEvent
    news: str | None


def can_move(current: str, new: str) -> bool:
    if current == new or current in TERMINAL:
        return False
    if {current, new} == {"picked_up", "on_hold"}:
        return True  # a held parcel goes back on the road, and a moving one can be held
    return RANK[new] > RANK[current]


def record(delivery: Delivery, new_status: str, *, source: str, provider_status: str | None = None,
           note: str | None = None, at=None) -> DeliveryEvent | None:
    """Apply a status if it moves the delivery forward; a late or repeated one changes nothing.

    Only the status and its event row: ``services.move`` brings the documents along and tells
    the subscribers."""
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
    return event
