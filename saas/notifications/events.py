"""Which happenings become messages: the documents' and the deliveries' events, subscribed in ``wire``."""
from __future__ import annotations

from saas.couriers.lifecycle import DeliveryMoved
from saas.documents.lifecycle import DocumentMoved
from saas.documents.models import DOCUMENT_TYPE_LABELS
from saas.extensions import db
from saas.notifications.services import notify


def document_ready(moved: DocumentMoved) -> None:
    """Marking a document ready is what tells the citizen; nothing else decides it."""
    document, event = moved.document, moved.event
    if event.to_status != "ready":
        return
    if event.actor_kind == "citizen":
        return  # the citizen put it back (a slot or a courier request cancelled): not news to them
    if event.id is None:
        db.session.flush()
    notify("document_ready", f"{document.id}:{event.id}", document=document)


def delivery_news(moved: DeliveryMoved) -> None:
    """What the courier did, told to the citizen once per delivery and kind of news."""
    delivery, news = moved.delivery, moved.news
    if not news:
        return
    documents = sorted(delivery.documents, key=lambda d: d.id)
    if not documents:
        return
    types = ", ".join(sorted({str(DOCUMENT_TYPE_LABELS.get(d.doc_type, d.doc_type)) for d in documents}))
    notify(news, f"{delivery.id}:{news}", document=documents[0], delivery=delivery,
           extra={"document_type": types} if len(documents) > 1 else None)
