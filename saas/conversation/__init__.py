"""The WhatsApp conversation: a citizen answers the "ready" message and books a pickup time or a
courier in the chat; the office reads the chat on the document page and can take it over.

It sits above the portal (whose slot bookings it makes), couriers (whose quotes it shows) and
notifications (whose webhook brings citizens' messages and whose outbox sends the answers).

Offers to the packages above it:
- ``models``: ``Conversation``, ``ChatMessage``.

Subscribes (in ``wire``): notifications' inbound messages (``on_inbound``); a reply is sent only
while WhatsApp's window is open (``check_cause``); the office document page's chat panel.
"""
from __future__ import annotations

OFFERS = ("models",)


def wire(app) -> None:
    from saas.conversation import services
    from saas.conversation.views import chat_panel, office
    from saas.notifications.services import CHAT_EVENT, check_cause, on_inbound
    from saas.office.shell import add_document_panel

    on_inbound(app, services.answer)
    check_cause(app, CHAT_EVENT, services.reply_still_allowed)
    add_document_panel(app, chat_panel)
    app.register_blueprint(office)
