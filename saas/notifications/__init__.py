"""Notifications: an outbox of messages sent by RQ jobs over WhatsApp, SMS and e-mail.

Offers to the packages above it:
- ``services``: ``notify`` (write a message into the outbox, once), ``format_slot``, ``NotificationChanged``;
- ``models``: ``Notification``;
- ``settings``: the ``[notifications]`` section of tenant.toml and the city's own templates.

Subscribes (in ``wire``): a document becoming ready, and a courier's news, become messages.
"""
from __future__ import annotations

OFFERS = ("services", "models", "settings")


def wire(app) -> None:
    from saas import events, jobs
    from saas.couriers.lifecycle import DeliveryMoved
    from saas.documents.lifecycle import DocumentMoved
    from saas.notifications import events as subscribers
    from saas.notifications import jobs as notification_jobs
    from saas.notifications import settings
    from saas.notifications.models import CHANNEL_LABELS, EVENT_LABELS
    from saas.documents.models import label_of
    from saas.notifications.views import messages_panel, office, webhooks
    from saas.office.shell import add_document_panel
    from saas.tenancy.settings import register_section

    register_section(settings.SECTION)
    app.add_template_filter(lambda code: label_of(CHANNEL_LABELS, code), "channel_label")
    app.add_template_filter(lambda code: label_of(EVENT_LABELS, code), "message_kind_label")
    bus = events.bus(app)
    bus.subscribe(DocumentMoved, subscribers.document_ready)
    bus.subscribe(DeliveryMoved, subscribers.delivery_news)
    jobs.register_periodic(app, notification_jobs.sweep_outbox, notification_jobs.send_reminders,
                           notification_jobs.send_supervisor_digests)
    add_document_panel(app, messages_panel)
    for blueprint in (webhooks, office):
        app.register_blueprint(blueprint)
