"""Outside courier hours the portal offers to book the courier at the next opening, in the city's
words and time zone; choosing it records a waiting trip and books nothing (issue 14, "Opening hours
first")."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import sqlalchemy as sa

from saas.couriers import services as couriers
from saas.couriers.models import Delivery
from saas.documents.models import Document
from saas.extensions import db
from saas.portal import services
from saas.sandboxes import couriers as sandbox
from saas.tenancy.scope import all_tenants
from tests.conftest import submit
from tests.factories import add_document, make_nik

MONDAY_20_WITA = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
MONDAY_20_WIB = datetime(2026, 11, 30, 13, 0, tzinfo=timezone.utc)
BALIKPAPAN_ADDRESS = {"recipient_name": "Siti Aminah", "recipient_phone": "081234567811",
                      "area": "64.71.06.1003", "address": "Jl. Jenderal Sudirman No. 12, RT 03",
                      "latitude": "-1.2700", "longitude": "116.8280", "driver_note": ""}


def _at(monkeypatch, moment: datetime):
    monkeypatch.setattr(couriers, "utcnow", lambda: moment)
    monkeypatch.setattr(services, "utcnow", lambda: moment)


def _open(client, number, nik, slug="balikpapan"):
    response = submit(client, f"/{slug}/", {"registration_no": number, "nik": nik}, action=f"/{slug}/cari")
    assert response.status_code == 302
    return response.headers["Location"]


def _deliveries(app) -> int:
    with app.app_context(), all_tenants():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Delivery))


def test_at_eight_in_the_evening_balikpapan_offers_tomorrows_opening_in_wita(app, client, monkeypatch):
    _at(monkeypatch, MONDAY_20_WITA)
    nik = make_nik(serial=7401)
    page_url = _open(client, add_document(app, registration_no="BP-N001", status="ready", nik=nik), nik)
    page = client.get(page_url + "/kurir").get_data(as_text=True)
    assert "Kurir tersedia 08.00–16.00 WITA" in page
    assert "besok, Selasa 1 Desember, pukul 08.00 WITA" in page
    assert "Lihat perkiraan harga, untuk dipesan saat jam buka berikutnya" in page
    assert "Pesan jadwal ambil saja" in page  # the other way stays on offer


def test_at_eight_in_the_evening_tangerang_selatan_says_wib(app, client, monkeypatch):
    _at(monkeypatch, MONDAY_20_WIB)
    nik = make_nik("367406", serial=7402)
    page_url = _open(client, add_document(app, slug="tangerang-selatan", registration_no="TS-N001", status="ready",
                                          nik=nik), nik, "tangerang-selatan")
    page = client.get(page_url + "/kurir").get_data(as_text=True)
    assert "besok, Selasa 1 Desember, pukul 08.00 WIB" in page and "WITA" not in page


def test_choosing_the_next_opening_records_a_waiting_trip_and_books_nothing(app, client, live_server, monkeypatch):
    _at(monkeypatch, MONDAY_20_WITA)
    nik = make_nik(serial=7403)
    page_url = _open(client, add_document(app, registration_no="BP-N002", status="ready", nik=nik), nik)
    quote = submit(client, page_url + "/kurir", BALIKPAPAN_ADDRESS)
    assert quote.status_code == 302
    confirm = client.get(quote.headers["Location"]).get_data(as_text=True)
    assert "Perkiraan harga" in confirm and "Ini perkiraan" in confirm
    assert "besok, Selasa 1 Desember, pukul 08.00 WITA" in confirm
    assert "Pesan untuk jam buka berikutnya" in confirm
    assert _deliveries(app) == 0  # seeing the estimate records nothing
    booked = submit(client, quote.headers["Location"], {})
    assert booked.status_code == 302
    page = client.get(booked.headers["Location"]).get_data(as_text=True)
    assert "Permintaan Anda tercatat: kurir dipesan besok, Selasa 1 Desember, pukul 08.00 WITA" in page
    assert "Menunggu pemesanan kurir" in page and re.search(r'<span class="code">\d{6}</span>', page)
    with app.app_context(), all_tenants():
        delivery = db.session.scalar(sa.select(Delivery))
        assert delivery.is_scheduled and delivery.book_at == datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)
        assert db.session.scalar(sa.select(Document.status).where(Document.registration_no == "BP-N002")) \
            == "delivery_requested"
    assert sandbox.bookings("gosend") == []


def test_the_office_sees_the_trips_waiting_for_the_opening(app, client, live_server, monkeypatch, staff):
    _at(monkeypatch, MONDAY_20_WITA)
    nik = make_nik(serial=7404)
    page_url = _open(client, add_document(app, registration_no="BP-N003", status="ready", nik=nik), nik)
    quote = submit(client, page_url + "/kurir", BALIKPAPAN_ADDRESS)
    assert submit(client, quote.headers["Location"], {}).status_code == 302
    listed = staff("operator").get("/balikpapan/office/deliveries?show=scheduled").get_data(as_text=True)
    assert "Dipesan saat jam buka berikutnya" in listed and "BP-N003" in listed
    assert "Dipesan pada Selasa 1 Des, 08.00" in listed


def test_bad_input_at_night_changes_nothing(app, client, live_server, monkeypatch):
    _at(monkeypatch, MONDAY_20_WITA)
    nik = make_nik(serial=7405)
    page_url = _open(client, add_document(app, registration_no="BP-N004", status="ready", nik=nik), nik)
    refused = submit(client, page_url + "/kurir", {**BALIKPAPAN_ADDRESS, "recipient_phone": "12", "address": ""})
    assert refused.status_code == 400
    errors = re.findall(r'<p class="flash flash-error">([^<]+)</p>', refused.get_data(as_text=True))
    assert len(errors) == 2, errors
    quote = submit(client, page_url + "/kurir", BALIKPAPAN_ADDRESS)
    forged = client.post(quote.headers["Location"], data={})  # no CSRF token
    assert forged.status_code == 400 and _deliveries(app) == 0
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(Document.status).where(Document.registration_no == "BP-N004")) == "ready"
    assert sandbox.bookings("gosend") == []
