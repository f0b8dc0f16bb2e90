"""The pickup and returns desks: who may take a document home, and what comes back."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from saas import events
from saas.documents.identity import IdentityError, clean_kk, clean_nik, identity_hash, kk_hash
from saas.documents.lifecycle import Actor, TransitionRefused, transition
from saas.documents.models import Document, DocumentEvent
from saas.extensions import db
from saas.security import mask_nik
from saas.tenancy.scope import current_tenant

COLLECTABLE = ("ready", "pickup_booked", "returned")
#: Who, besides the owner, each collection rule lets take the document.
RULE_ALLOWS = {
    "owner_only": ("owner",),
    "family_kk": ("owner", "family"),
    "owner_or_proxy": ("owner", "proxy"),
}
RULE_LABELS = {
    "owner_only": _l("Only the owner may receive the document."),
    "family_kk": _l("The owner, or a family member on the same KK, may receive the document."),
    "owner_or_proxy": _l("The owner, or someone with the owner's surat kuasa, may receive the document."),
}


class CollectionRefused(events.Refusal):
    """The person at the desk may not take this document; ``message`` says why."""


# -- codes the pickup desk accepts ---------------------------------------------------------------
_DESK_CODES = "antar_desk_code_readers"


def accept_desk_code(app: Flask, reader: Callable) -> None:
    """Let the pickup desk take another kind of code: ``reader(code) -> Document | None`` (the
    portal's slot booking codes, for one)."""
    readers = app.extensions.setdefault(_DESK_CODES, [])
    if reader not in readers:
        readers.append(reader)


def document_of_desk_code(code: str) -> Document | None:
    for reader in current_app.extensions.get(_DESK_CODES, []):
        document = reader(code)
        if document is not None:
            return document
    return None


@dataclass
class Collector:
    who: str
    nik: str
    kk_number: str | None = None
    proxy_name: str | None = None
    letter_no: str | None = None


def check_collector(document: Document, collector: Collector) -> str:
    """The note to record if ``collector`` may take ``document`` under the city's rule."""
    tenant = current_tenant
    rule = tenant.document_settings.get("collection_rule", "owner_only")
    if document.status not in COLLECTABLE:
        raise CollectionRefused(_l("This document is '%(status)s': it cannot be collected now.",
                                   status=document.status_label))
    if collector.who not in RULE_ALLOWS.get(rule, ("owner",)):
        raise CollectionRefused(RULE_LABELS.get(rule, RULE_LABELS["owner_only"]))
    try:
        nik = clean_nik(collector.nik)
    except IdentityError as exc:
        raise CollectionRefused(exc) from None
    if collector.who == "owner":
        if identity_hash(nik) != document.nik_hash:
            raise CollectionRefused(_l("This NIK is not the owner's."))
        return str(_l("Collected by the owner (NIK %(nik)s).", nik=mask_nik(nik)))
    if collector.who == "family":
        if not document.kk_hash:
            raise CollectionRefused(_l("No KK number is on record for this document: only the owner can collect it."))
        try:
            kk = clean_kk(collector.kk_number)
        except IdentityError as exc:
            raise CollectionRefused(exc) from None
        if kk_hash(kk) != document.kk_hash:
            raise CollectionRefused(_l("This KK number is not the owner's family card."))
        return str(_l("Collected by a family member on the same KK (NIK %(nik)s).", nik=mask_nik(nik)))
    name = " ".join((collector.proxy_name or "").split())
    letter = (collector.letter_no or "").strip()
    if not name or not letter:
        raise CollectionRefused(_l("Record the name on the surat kuasa and its number."))
    return str(_l("Collected with surat kuasa %(letter)s by %(name)s (NIK %(nik)s).",
                  letter=letter, name=name, nik=mask_nik(nik)))


def collect(document: Document, collector: Collector, staff_user) -> None:
    note = check_collector(document, collector)
    transition(document, "collected", Actor.staff(staff_user), note)


def collection_of(document: Document) -> DocumentEvent | None:
    """The desk's record of who took the document home, by whose hand and when; the pickup
    receipt prints it. None while the document is not collected."""
    if document.status != "collected":
        return None
    return db.session.scalar(sa.select(DocumentEvent).where(
        DocumentEvent.document_id == document.id, DocumentEvent.to_status == "collected")
        .order_by(DocumentEvent.id.desc()).limit(1))


def receipt_number(collection: DocumentEvent) -> str:
    """TTP-20261125-4711: the city's day of the collection and its event, stable across reprints."""
    return f"TTP-{current_tenant.local_date(collection.at):%Y%m%d}-{collection.id}"


def record_return(document: Document, staff_user, note: str) -> None:
    """A document the courier brought back: it waits at the returns desk to be offered again."""
    if document.status != "with_courier":
        raise TransitionRefused(document, "returned", _l(
            "Only a document that is with the courier can come back; this one is '%(status)s'.",
            status=document.status_label))
    transition(document, "returned", Actor.staff(staff_user), note)


def offer_again(document: Document, staff_user) -> None:
    transition(document, "ready", Actor.staff(staff_user), str(_l("Offered to the citizen again.")))
