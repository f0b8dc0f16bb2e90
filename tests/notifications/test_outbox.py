"""Marking a document ready writes one message row, in the same transaction, never two."""
from __future__ import annotations

import sqlalchemy as sa

from saas.documents.lifecycle import Actor, transition
from saas.documents.models import Document
from saas.documents.services import get_document
from saas.extensions import db
from saas.notifications.models import Notification
from saas.notifications.services import notify
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.factories import add_document, make_nik
from tests.notifications.conftest import drain, notifications


def _count(app):
    with app.app_context(), all_tenants():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Notification))


def test_ready_writes_the_message_with_the_transition_and_a_rollback_writes_none(app):
    number = add_document(app, registration_no="NT-0001")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        transition(get_document(number), "ready", Actor.system())
        db.session.rollback()
    assert _count(app) == 0
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        transition(get_document(number), "ready", Actor.system())
        db.session.commit()
    rows = notifications(app)
    assert [(r.event, r.channel, r.status) for r in rows] == [("document_ready", "whatsapp", "queued")]
    assert rows[0].recipient.startswith("+628") and "/balikpapan/d/" in rows[0].body


def test_the_same_event_never_makes_two_rows(app):
    number = add_document(app, registration_no="NT-0002", status="ready")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        document = get_document(number)
        first = notify("document_ready", "same-occurrence", document=document)
        again = notify("document_ready", "same-occurrence", document=document)
        db.session.commit()
        assert first.id == again.id
    assert _count(app) == 2  # the ready transition's own message, and this one


def test_each_city_uses_its_own_first_channel(app):
    add_document(app, slug="samarinda", registration_no="NT-SMD", status="ready", doc_type="kk")  # sms first
    add_document(app, slug="surabaya", registration_no="NT-SBY", status="ready")  # whatsapp, then email
    channels = {r.tenant_id: r.channel for r in notifications(app)}
    with app.app_context():
        assert channels[get_tenant("samarinda").id] == "sms"
        assert channels[get_tenant("surabaya").id] == "whatsapp"


def test_no_message_ever_carries_a_nik(app):
    """Even a NIK inside a name (the import now refuses one; older rows may hold it) is masked."""
    nik = make_nik(serial=7777)
    add_document(app, registration_no="NT-0003", status="received", nik=nik, name="Budi")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        document = db.session.scalar(sa.select(Document).where(Document.registration_no == "NT-0003"))
        document.owner_name = f"Budi {nik}"
        transition(document, "ready", Actor.system())
        db.session.commit()
    drain(app)
    for row in notifications(app):
        assert nik not in row.body and nik not in " ".join(row.params)
        assert "6471**********" in row.body
