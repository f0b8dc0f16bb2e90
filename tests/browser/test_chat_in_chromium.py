"""The WhatsApp conversation driven from the sandbox inbox, as the citizen's phone shows it:
"ready" → "Ambil di kantor" → a time from the list → the booking code, and "ready" → "Antar ke
rumah" → the quote → "Pesan" → the courier booked, for Balikpapan."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from saas.couriers.models import Delivery
from saas.documents.services import get_document
from saas.extensions import db
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.browser.conftest import fits_the_phone, shot
from tests.whatsapp_conversation.conftest import all_day_couriers
from tests.factories import add_document, make_nik
from tests.notifications.conftest import drain, message_gateways  # noqa: F401 (the gateways, reset per test)

pytestmark = pytest.mark.browser


def _last_bubble(page):
    return page.locator("li.bubble").last


def test_pickup_booked_in_the_chat(app, phone, live_server, message_gateways):  # noqa: F811
    add_document(app, registration_no="WA-PICK1", status="ready", name="Siti Aminah", phone="081234560001")
    drain(app)
    page = phone
    page.goto("/sandbox/inbox?to=6281234560001")
    ready = _last_bubble(page)
    assert "Siti Aminah" in ready.inner_text() and fits_the_phone(page)
    shot(page, "chat-01-ready-with-buttons")
    ready.get_by_role("button", name="Ambil di kantor").click()
    drain(app)
    page.reload()
    offer = _last_bubble(page)
    assert "Pilih jadwal ambil" in offer.inner_text()
    offer.get_by_text("Pilih jadwal", exact=True).click()
    rows = offer.locator("button.list-row")
    assert 1 <= rows.count() <= 10
    shot(page, "chat-02-slot-list")
    rows.first.click()
    drain(app)
    page.reload()
    confirmation = _last_bubble(page)
    text = confirmation.inner_text()
    code = re.search(r"JDW-[A-Z0-9]{6}", text).group()
    assert "Jl. MT Haryono" in text and confirmation.get_by_role("button", name="Batal").is_visible()
    assert confirmation.get_by_role("button", name="Pindah").is_visible() and fits_the_phone(page)
    shot(page, "chat-03-booking-code")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        document = get_document("WA-PICK1")
        assert document.status == "pickup_booked"
        from saas.portal.services import active_booking

        assert active_booking(document).code == code


def test_courier_booked_in_the_chat(app, phone, live_server, message_gateways):  # noqa: F811
    all_day_couriers(app)
    nik = make_nik(serial=5150)
    add_document(app, registration_no="WA-OLD1", status="delivered", nik=nik, phone="081234560002", doc_type="kia")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        earlier = get_document("WA-OLD1")
        delivery = Delivery(tenant_id=earlier.tenant_id, provider="gosend", mode="office_booking", status="delivered",
                            recipient_name="Budi Santoso", recipient_phone="+6281234560002",
                            address="Jl. Jenderal Sudirman No. 12, RT 03", kecamatan_code="64.71.06",
                            kelurahan="Klandasan Ulu", latitude=-1.2735, longitude=116.8306, pickup_code="PK-WAOLD1",
                            receipt_pin="551234", fee=18000)
        db.session.add(delivery)
        db.session.flush()
        earlier.delivery_id = delivery.id
        db.session.commit()
    add_document(app, registration_no="WA-CUR1", status="ready", nik=nik, name="Budi Santoso", phone="081234560002")
    drain(app)
    page = phone
    page.goto("/sandbox/inbox?to=6281234560002")
    _last_bubble(page).get_by_role("button", name="Antar ke rumah").click()
    drain(app)
    page.reload()
    quote = _last_bubble(page)
    text = quote.inner_text()
    assert "Ongkos: Rp" in text and "Klandasan Ulu" in text and "PIN penerimaan" in text and fits_the_phone(page)
    shot(page, "chat-04-courier-quote")
    quote.get_by_role("button", name="Pesan").click()
    drain(app)
    page.reload()
    assert page.get_by_text(re.compile(r"Kurir sedang dipesan")).is_visible()
    shot(page, "chat-05-courier-booked")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        delivery = db.session.scalar(sa.select(Delivery).where(Delivery.pickup_code != "PK-WAOLD1"))
        assert delivery.status in ("booked", "driver_assigned") and delivery.provider_ref
        assert get_document("WA-CUR1").status in ("delivery_requested", "with_courier")
    assert page.get_by_text(re.compile(delivery.receipt_pin)).first.is_visible()
