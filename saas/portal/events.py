"""Slot bookings follow their document: used at the desk, freed when it leaves the slot."""
from __future__ import annotations

from saas.documents.lifecycle import ON_TRANSITION
from saas.documents.views import PICKUP_CODE_RESOLVERS
from saas.notifications.jobs import PICKUP_REMINDERS
from saas.portal import services


def _booking_follows(document, event) -> None:
    if event.from_status != "pickup_booked":
        return
    booking = services.active_booking(document)
    if booking is None:
        return
    if event.to_status == "collected":
        booking.status = "used"
    else:  # back to ready (staff, the API) or cancelled: the place goes back to the slot
        services.cancel_booking(document.tenant, booking, reopen=False)


def _document_of_booking_code(code: str):
    booking = services.booking_by_code(code)
    return booking.document if booking is not None else None


ON_TRANSITION.append(_booking_follows)
PICKUP_CODE_RESOLVERS.append(_document_of_booking_code)
PICKUP_REMINDERS.append(services.tomorrows_reminders)
