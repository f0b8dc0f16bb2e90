"""The citizen's portal: lookup, signed links, pickup slots, courier requests, tracking, receipt, rating.

Offers to the packages above it:
- ``services``: ``find_document``, the slots and bookings, ``Rated``;
- ``models``: ``PickupSlot``, ``PickupBooking``, ``ProblemReport``, ``Rating``.

Subscribes (in ``wire``): a booking follows its document (used at the desk, freed otherwise);
the pickup desk accepts booking codes.
"""
from __future__ import annotations

OFFERS = ("services", "models")


def wire(app) -> None:
    from saas import events, jobs
    from saas.documents.desks import accept_desk_code
    from saas.documents.lifecycle import DocumentMoved
    from saas.notifications.services import check_cause
    from saas.portal import events as subscribers
    from saas.portal import services
    from saas.portal import jobs as portal_jobs
    from saas.portal import settings
    from saas.portal.office import office
    from saas.portal.views import bp, platform
    from saas.tenancy.settings import register_section

    register_section(settings.SECTION)
    events.bus(app).subscribe(DocumentMoved, subscribers.booking_follows_document)
    accept_desk_code(app, subscribers.document_of_booking_code)
    for event in ("pickup_booked", "pickup_moved", "pickup_reminder"):
        check_cause(app, event, services.booking_still_holds)
    jobs.register_periodic(app, portal_jobs.send_pickup_reminders)
    app.register_blueprint(office)
    app.register_blueprint(platform)
    app.register_blueprint(bp)  # last: its /<slug>/<page> routes must not shadow the others
