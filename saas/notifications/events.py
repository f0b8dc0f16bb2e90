"""Which happenings become messages: subscribed to the documents' and the couriers' hooks."""
from __future__ import annotations

from saas.couriers.services import ON_DELIVERY_NEWS
from saas.documents.lifecycle import ON_TRANSITION
from saas.documents.models import DOCUMENT_TYPE_LABELS
from saas.extensions import db
from saas.notifications.services import notify


def _document_ready(document, event) -> None:
    """Marking a document ready is what tells the citizen; nothing else decides it."""
    if event.to_status != "ready":
        return
    if event.id is None:
        db.session.flush()
    notify(document.tenant, "document_ready", f"{document.id}:{event.id}", document=document)


def _delivery_news(delivery, news: str) -> None:
    documents = sorted(delivery.documents, key=lambda d: d.id)
    if not documents:
        return
    types = ", ".join(sorted({str(DOCUMENT_TYPE_LABELS.get(d.doc_type, d.doc_type)) for d in documents}))
    notify(delivery.tenant, news, f"{delivery.id}:{news}", document=documents[0], delivery=delivery,
           extra={"document_type": types} if len(documents) > 1 else None)


ON_TRANSITION.append(_document_ready)
ON_DELIVERY_NEWS.append(_delivery_news)
