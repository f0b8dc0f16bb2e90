"""Couriers: Go-Send, GrabExpress and manual couriers behind one interface; trips and their desk.

Offers to the packages above it:
- ``models``: ``Delivery``, its statuses and labels;
- ``services``: request, quote, ``move`` (a trip forward, its documents along), ``cancel``, handover;
- ``lifecycle``: ``DeliveryMoved``, told after a trip moved and its documents followed;
- ``codes``: pickup codes, receipt PINs and their QR;
- ``providers``: ``PROVIDERS`` and ``provider_for``.

Subscribes (in ``wire``): before a document leaves its trip, the courier must let go
(``courier_lets_go``); after, the trip is cancelled (``trip_follows_document``). Adds the document
page's trip panel, with the handover record to print once the driver has the envelope.
"""
from __future__ import annotations

OFFERS = ("models", "services", "lifecycle", "codes", "providers")


def wire(app) -> None:
    from saas import events, jobs
    from saas.couriers import jobs as courier_jobs
    from saas.couriers import settings
    from saas.couriers.models import COURIER_MODE_LABELS
    from saas.documents.models import label_of
    from saas.couriers.services import courier_lets_go, courier_name, trip_follows_document
    from saas.couriers.views import driver, office, trip_panel, webhooks
    from saas.documents.lifecycle import DocumentMoved, DocumentMoving
    from saas.office.shell import add_document_panel
    from saas.tenancy.settings import register_section

    register_section(settings.SECTION)
    app.add_template_global(courier_name, "courier_name")
    app.add_template_filter(lambda code: label_of(COURIER_MODE_LABELS, code), "courier_mode_label")
    bus = events.bus(app)
    bus.check(DocumentMoving, courier_lets_go)
    bus.subscribe(DocumentMoved, trip_follows_document)
    jobs.register_periodic(app, courier_jobs.poll_silent_deliveries, courier_jobs.book_scheduled_deliveries,
                          courier_jobs.purge_old_addresses)
    add_document_panel(app, trip_panel)
    for blueprint in (webhooks, office, driver):
        app.register_blueprint(blueprint)
