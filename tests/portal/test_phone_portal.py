"""The portal as a citizen on a phone meets it (issue 14, item 9): a lookup left empty, the office's
contacts, the slot picker one day at a time, a move that keeps its code, a cancel that asks first."""
from __future__ import annotations

import re

import sqlalchemy as sa

from saas.documents.models import Document, DocumentEvent
from saas.extensions import db
from saas.portal.models import PickupBooking, PickupSlot
from saas.tenancy.scope import all_tenants
from tests.conftest import submit
from tests.factories import add_document, make_nik


def _open(client, number, nik, slug="balikpapan"):
    response = submit(client, f"/{slug}/", {"registration_no": number, "nik": nik}, action=f"/{slug}/cari")
    assert response.status_code == 302
    return response.headers["Location"]


def test_an_empty_lookup_says_what_to_fill_in_every_time(app, client):
    for _ in range(7):  # more than the per-number budget: an empty number is not a number asked about
        response = submit(client, "/balikpapan/", {"registration_no": "", "nik": ""}, action="/balikpapan/cari")
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        summary = re.findall(r'<p class="flash flash-error">([^<]+)</p>', html)
        assert summary == ["Isi nomor registrasi dari tanda terima Anda.", "Isi NIK."]
        assert 'id="registration_no-error"' in html and 'aria-invalid="true"' in html
        assert 'aria-describedby="nik-error"' in html


def test_the_office_whatsapp_is_a_click_to_chat_link(app, client):
    html = client.get("/balikpapan/").get_data(as_text=True)
    assert '<a href="https://wa.me/6281152001234">+6281152001234</a>' in html
    assert 'class="breakable" href="mailto:layanan@disdukcapil.balikpapan.antar.test"' in html


def _slot_values(html):
    return re.findall(r'name="starts_at" value="([^"]+)"', html)


def test_the_slot_page_shows_one_day_at_a_time_with_days_as_tabs(app, client):
    nik = make_nik(serial=7101)
    page_url = _open(client, add_document(app, registration_no="PH-0001", status="ready", nik=nik), nik)
    first = client.get(page_url + "/jadwal").get_data(as_text=True)
    days = re.findall(r'href="[^"]*/jadwal\?hari=(\d{4}-\d{2}-\d{2})"', first)
    assert len(days) >= 2 and len(set(days)) == len(days)
    assert first.count('aria-current="page"') == 1
    times = _slot_values(first)
    assert 0 < len(times) <= 14  # one Balikpapan day (08.00–15.00 in 30 minutes), not a week of them
    second = client.get(page_url + f"/jadwal?hari={days[1]}").get_data(as_text=True)
    assert set(_slot_values(second)).isdisjoint(times)
    assert f'name="hari" value="{days[1]}"' in second
    booked = submit(client, page_url + f"/jadwal?hari={days[1]}", {"starts_at": _slot_values(second)[0],
                                                                   "hari": days[1]})
    assert booked.status_code == 302


def test_moving_a_slot_shows_the_current_one_and_keeps_its_code(app, client):
    nik = make_nik(serial=7102)
    number = add_document(app, registration_no="PH-0002", status="ready", nik=nik)
    page_url = _open(client, number, nik)
    # A whole day's times (tomorrow's or later): today's may be down to one in the afternoon.
    day = re.findall(r'href="[^"]*/jadwal\?hari=(\d{4}-\d{2}-\d{2})"',
                     client.get(page_url + "/jadwal").get_data(as_text=True))[1]
    times = _slot_values(client.get(page_url + f"/jadwal?hari={day}").get_data(as_text=True))
    assert len(times) >= 2
    submit(client, page_url + f"/jadwal?hari={day}", {"starts_at": times[0], "hari": day})
    code = re.search(r"JDW-[A-Z0-9]{6}", client.get(page_url + "/jadwal/kode").get_data(as_text=True)).group(0)
    move_page = client.get(page_url + "/jadwal").get_data(as_text=True)
    assert "Jadwal Anda sekarang" in move_page and code in move_page and "kode Anda tetap sama" in move_page
    assert "Pindah ke jadwal ini" in move_page
    moved = submit(client, page_url + f"/jadwal?hari={day}", {"starts_at": times[1], "hari": day})
    assert moved.status_code == 302
    after = client.get(moved.headers["Location"]).get_data(as_text=True)
    assert code in after and f"Kode Anda tetap {code}" in after
    with app.app_context(), all_tenants():
        bookings = db.session.execute(sa.select(PickupBooking.code, PickupBooking.status)).all()
        assert bookings == [(code, "booked")]
        assert sorted(db.session.scalars(sa.select(PickupSlot.booked))) == [0, 1]
        document = db.session.scalar(sa.select(Document).where(Document.registration_no == number))
        assert document.status == "pickup_booked"
        steps = [e.to_status for e in db.session.scalars(sa.select(DocumentEvent).where(
            DocumentEvent.document_id == document.id).order_by(DocumentEvent.id))]
    assert steps == ["received", "ready", "pickup_booked", "pickup_booked"]  # no trip through "ready"
    history = client.get(page_url).get_data(as_text=True).split("Riwayat")[1]
    assert history.count("<strong>Siap</strong>") == 1 and "<strong>Jadwal ambil dipindah</strong>" in history


def test_cancelling_a_slot_asks_first(app, client):
    nik = make_nik(serial=7103)
    number = add_document(app, registration_no="PH-0003", status="ready", nik=nik)
    page_url = _open(client, number, nik)
    submit(client, page_url + "/jadwal", {"starts_at": _slot_values(client.get(page_url + "/jadwal").get_data(as_text=True))[0]})
    booking_page = client.get(page_url + "/jadwal/kode").get_data(as_text=True)
    assert not re.search(r'<form[^>]+action="[^"]*/jadwal/batal"', booking_page)
    question = client.get(page_url + "/jadwal/batal")
    assert question.status_code == 200 and "Batalkan jadwal?" in question.get_data(as_text=True)
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(PickupBooking.status)) == "booked"  # asking changed nothing
    submit(client, page_url + "/jadwal/batal", {})
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(PickupBooking.status)) == "cancelled"
        assert db.session.scalar(sa.select(Document.status).where(Document.registration_no == number)) == "ready"


def test_every_page_names_an_icon_the_server_has(app, client):
    """Without one, a browser asks for /favicon.ico on every page, and gets a 404."""
    import re as _re

    for url in ("/balikpapan/", "/balikpapan/office/login", "/admin/login"):
        page = client.get(url)
        found = _re.search(r'<link rel="icon" href="([^"]+)"', page.get_data(as_text=True))
        assert found, url
        assert client.get(found.group(1)).status_code == 200, found.group(1)
