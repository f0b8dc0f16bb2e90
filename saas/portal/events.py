"""Slot bookings follow their document: used at the desk, freed when it leaves the slot."""
from __future__ import annotations

from saas.documents.lifecycle import DocumentMoved
from saas.portal import services


def booking_follows_document(moved: DocumentMoved) -> None:
    event = moved.event
    if event.from_status != "pickup_booked":
        return
    booking = services.active_booking(moved.document)
    if booking is None:
        return
    if event.to_status == "collected":
        booking.status = "used"
    else:  # back to ready (staff, the API) or cancelled: the place goes back to the slot
        services.cancel_booking(booking, reopen=False)


def document_of_booking_code(code: str):
    """The pickup desk takes a slot's booking code as well as a courier's pickup code."""
    booking = services.booking_by_code(code)
    return booking.document if booking is not None else None
