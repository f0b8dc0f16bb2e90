"""The two choices: a booked pickup slot, or a courier to the door; then receipt, rating, problems."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from saas.documents.models import Document
from saas.extensions import db
from saas.portal import services
from saas.portal.models import PickupBooking, PickupSlot, ProblemReport, Rating
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import csrf_token_from, submit
from tests.factories import add_document, make_nik


def _open(app, client, number, nik, slug="balikpapan"):
    response = submit(client, f"/{slug}/", {"registration_no": number, "nik": nik}, action=f"/{slug}/cari")
    assert response.status_code == 302
    return response.headers["Location"]


def _document_id(app, number, slug="balikpapan"):
    with app.app_context(), tenant_bound(get_tenant(slug)):
        return db.session.scalar(sa.select(Document.id).where(Document.registration_no == number))


def test_booking_a_slot_gives_a_code_and_the_office_sees_it(app, client, staff):
    nik = make_nik(serial=5501)
    number = add_document(app, registration_no="SL-0001", status="ready", nik=nik)
    page_url = _open(app, client, number, nik)
    slots_page = client.get(page_url + "/jadwal").get_data(as_text=True)
    first = re.search(r'name="starts_at" value="([^"]+)"', slots_page).group(1)
    response = submit(client, page_url + "/jadwal", {"starts_at": first})
    assert response.status_code == 302
    code_page = client.get(response.headers["Location"]).get_data(as_text=True)
    code = re.search(r"JDW-[A-Z0-9]{6}", code_page).group(0)
    assert "data:image/svg+xml" in code_page
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(Document.status).where(Document.registration_no == number)) == "pickup_booked"
    office = staff("operator")
    day = datetime.fromisoformat(first).astimezone(get_zone(app)).date().isoformat()
    assert code in office.get(f"/balikpapan/office/bookings?day={day}").get_data(as_text=True)
    found = submit(office, "/balikpapan/office/pickup", {"registration_no": code})
    assert found.headers["Location"].endswith(f"/pickup/{number}")
    collected = submit(office, f"/balikpapan/office/pickup/{number}", {"who": "owner", "nik": nik})
    assert collected.status_code == 302
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(PickupBooking.status)) == "used"


def get_zone(app):
    with app.app_context():
        return get_tenant("balikpapan").zone


def test_a_full_slot_is_not_offered(app):
    with app.app_context():
        tenant = get_tenant("bontang")  # six people per slot
        with tenant_bound(tenant):
            # A day with two times left: today's may be down to one in the afternoon.
            first_day, slots = next((day, times) for day, times in services.available_slots() if len(times) >= 2)
            slot = slots[0]
            db.session.add(PickupSlot(tenant_id=tenant.id, starts_at=slot.starts_at, booked=6))
            db.session.commit()
            offered = {s.starts_at for _, day_slots in services.available_slots() for s in day_slots}
            assert slot.starts_at not in offered
            assert slots[1].starts_at in offered


def test_booking_a_slot_that_filled_up_since_the_page_was_shown_is_refused(app):
    """A stale page can still post a full slot: ``book_slot`` must refuse it before touching the count."""
    numbers = [add_document(app, slug="bontang", registration_no=f"SL-R{n}", status="ready") for n in range(2)]
    with app.app_context():
        tenant = get_tenant("bontang")
        with tenant_bound(tenant):
            slot = services.available_slots()[0][1][0]
            db.session.add(PickupSlot(tenant_id=tenant.id, starts_at=slot.starts_at, booked=5))
            db.session.commit()
            documents = db.session.scalars(sa.select(Document).where(Document.registration_no.in_(numbers))).all()
            services.book_slot(documents[0], slot.starts_at)
            db.session.commit()
            with pytest.raises(services.PortalRefused):
                services.book_slot(documents[1], slot.starts_at)
            db.session.rollback()
            assert db.session.scalar(sa.select(PickupSlot.booked)) == 6


def test_citizens_racing_for_the_last_places_never_overfill_the_slot(app, monkeypatch):
    """Five citizens press "book" at once for a slot with two places left: two get it, three are told.

    Each citizen is a thread with its own browser (test client), so each request has its own app
    context, session and database connection. A barrier holds every request just before it takes
    a place, i.e. after all of them have seen the slot as still free: only the atomic UPDATE can
    then tell the winners from the losers, on SQLite (writers queue) as on PostgreSQL (row lock).
    """
    racers, places_left = 5, 2
    with app.app_context():
        tenant = get_tenant("bontang")
        capacity = int(tenant.pickup_settings["capacity_per_slot"])
        with tenant_bound(tenant):
            slot = services.available_slots()[0][1][0]
            db.session.add(PickupSlot(tenant_id=tenant.id, starts_at=slot.starts_at, booked=capacity - places_left))
            db.session.commit()
    citizens = []
    for n in range(racers):
        nik = make_nik("647401", serial=5600 + n)
        number = add_document(app, slug="bontang", registration_no=f"SL-RACE{n}", status="ready", nik=nik)
        browser = app.test_client()
        page_url = _open(app, browser, number, nik, "bontang")
        page = browser.get(page_url + "/jadwal")
        assert slot.starts_at.isoformat() in page.get_data(as_text=True)
        citizens.append((number, browser, page_url, csrf_token_from(page.get_data(as_text=True))))

    gate = threading.Barrier(racers, timeout=30)
    take_place = services._take_place

    def take_place_together(starts_at):
        gate.wait()
        return take_place(starts_at)

    monkeypatch.setattr(services, "_take_place", take_place_together)

    def book(citizen):
        number, browser, page_url, token = citizen
        try:
            return number, browser.post(page_url + "/jadwal",
                                        data={"starts_at": slot.starts_at.isoformat(), "csrf_token": token})
        except BaseException:
            gate.abort()  # the others must not wait 30 s for a citizen who will never arrive
            raise

    with ThreadPoolExecutor(max_workers=racers) as pool:
        answers = list(pool.map(book, citizens))

    winners = [number for number, response in answers if response.status_code == 302]
    losers = [(number, response) for number, response in answers if response.status_code != 302]
    with app.app_context(), all_tenants():
        taken = db.session.scalar(sa.select(PickupSlot.booked).where(PickupSlot.starts_at == slot.starts_at))
    assert (len(winners), taken) == (places_left, capacity), [(n, r.status_code) for n, r in answers]
    for number, response in losers:
        assert response.status_code == 200
        assert "Jadwal itu baru saja diambil orang lain" in response.get_data(as_text=True), number
    with app.app_context(), all_tenants():
        booked = db.session.scalars(sa.select(Document.registration_no).join(
            PickupBooking, PickupBooking.document_id == Document.id).where(PickupBooking.status == "booked")).all()
        assert sorted(booked) == sorted(winners)
        statuses = dict(db.session.execute(sa.select(Document.registration_no, Document.status).where(
            Document.registration_no.in_([number for number, _ in losers]))).all())
        assert set(statuses.values()) == {"ready"}


def test_cancel_and_move_a_booking(app, client):
    nik = make_nik(serial=5502)
    number = add_document(app, registration_no="SL-0002", status="ready", nik=nik)
    page_url = _open(app, client, number, nik)
    # A whole day's times (tomorrow's or later): today's may be down to one in the afternoon.
    day = re.findall(r'href="[^"]*/jadwal\?hari=(\d{4}-\d{2}-\d{2})"',
                     client.get(page_url + "/jadwal").get_data(as_text=True))[1]
    slots = re.findall(r'name="starts_at" value="([^"]+)"',
                       client.get(page_url + f"/jadwal?hari={day}").get_data(as_text=True))
    submit(client, page_url + f"/jadwal?hari={day}", {"starts_at": slots[0], "hari": day})
    moved = submit(client, page_url + f"/jadwal?hari={day}", {"starts_at": slots[1], "hari": day})
    assert moved.status_code == 302
    with app.app_context(), all_tenants():
        bookings = db.session.execute(sa.select(PickupBooking.status, PickupBooking.starts_at).order_by(PickupBooking.id)).all()
        assert [b[0] for b in bookings] == ["booked"]  # moved in place: one booking, one code
        assert sorted(db.session.scalars(sa.select(PickupSlot.booked))) == [0, 1]
    submit(client, page_url + "/jadwal/batal", {})  # the question page holds the cancel form
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(Document.status).where(Document.registration_no == number)) == "ready"


def test_staff_putting_a_booked_document_back_to_ready_frees_its_place(app, client, staff):
    nik = make_nik(serial=5503)
    number = add_document(app, registration_no="SL-0003", status="ready", nik=nik)
    page_url = _open(app, client, number, nik)
    slots = re.findall(r'name="starts_at" value="([^"]+)"', client.get(page_url + "/jadwal").get_data(as_text=True))
    submit(client, page_url + "/jadwal", {"starts_at": slots[0]})
    office = staff("operator")
    moved = submit(office, f"/balikpapan/office/documents/{number}", {"to": "ready", "note": "Jadwal diganti"},
                   action=f"/balikpapan/office/documents/{number}/transition")
    assert moved.status_code == 302
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(PickupBooking.status)) == "cancelled"
        assert db.session.scalar(sa.select(PickupSlot.booked)) == 0


def _courier_form(app, client, page_url, **overrides):
    data = {"recipient_name": "Siti Aminah", "recipient_phone": "081234567811", "area": "64.71.06.1003",
            "address": "Jl. Jenderal Sudirman No. 12, RT 03", "latitude": "", "longitude": "", "driver_note": "",
            "provider": "gosend"}
    data.update(overrides)
    return submit(client, page_url + "/kurir", data)


def test_out_of_area_addresses_are_refused_with_the_reason(app, client, live_server, monkeypatch):
    from saas.couriers import services as couriers

    monkeypatch.setattr(couriers, "check_service_hours", lambda now=None: None)  # the test may run at night
    nik = make_nik(serial=5503)
    page_url = _open(app, client, add_document(app, registration_no="CR-0001", status="ready", nik=nik), nik)
    far = _courier_form(app, client, page_url, latitude="-1.0500", longitude="117.2000")
    assert "km" in far.get_data(as_text=True) and "kurir hanya sampai" in far.get_data(as_text=True)
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(Document.status).where(Document.registration_no == "CR-0001")) == "ready"


def test_courier_request_shows_the_quote_then_books(app, client, live_server, monkeypatch):
    from saas.couriers import services as couriers

    monkeypatch.setattr(couriers, "check_service_hours", lambda tenant, now=None: None)
    nik = make_nik(serial=5504)
    page_url = _open(app, client, add_document(app, registration_no="CR-0002", status="ready", nik=nik), nik)
    quote = _courier_form(app, client, page_url)
    assert quote.status_code == 302
    confirm = client.get(quote.headers["Location"]).get_data(as_text=True)
    for words in ("Rp", "Anda membayar kurir", "surat kuasa", "bersegel", "PIN penerimaan"):
        assert words in confirm, words
    booked = submit(client, quote.headers["Location"], {})
    assert booked.status_code == 302
    page = client.get(page_url).get_data(as_text=True)
    pin = re.search(r'<span class="code">(\d{6})</span>', page)
    assert pin and "Menunggu pemesanan kurir" in page


def test_citizen_link_mode_explains_the_gojek_way_and_gives_the_pickup_code(app, client, monkeypatch):
    from saas.couriers import services as couriers

    monkeypatch.setattr(couriers, "check_service_hours", lambda tenant, now=None: None)
    nik = make_nik("647401", serial=5505)
    page_url = _open(app, client, add_document(app, slug="bontang", registration_no="BT-0001", status="ready",
                                               nik=nik), nik, "bontang")
    instructions = client.get(page_url + "/kurir").get_data(as_text=True)
    assert "aplikasi Gojek" in instructions
    done = submit(client, page_url + "/kurir", {"recipient_name": "Rahmat", "recipient_phone": "081234567812"})
    assert done.status_code == 302
    page = client.get(page_url).get_data(as_text=True)
    assert re.search(r"ANT-[A-Z0-9]{6}", page) and "Jl. Moh. Roem" in page


def test_after_delivery_the_citizen_confirms_rates_and_reports(app, client, staff):
    nik = make_nik(serial=5506)
    number = add_document(app, registration_no="CR-0003", status="delivered", nik=nik)
    page_url = _open(app, client, number, nik)
    document_id = _document_id(app, number)
    assert submit(client, page_url, {"score": "4", "comment": "Cepat"}, action=f"/balikpapan/dokumen/{document_id}/nilai").status_code == 302
    assert submit(client, page_url, {"kind": "broken_seal", "note": "Segel sobek"},
                  action=f"/balikpapan/dokumen/{document_id}/masalah").status_code == 302
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(Rating.score)) == 4
        assert db.session.scalar(sa.select(ProblemReport.kind)) == "broken_seal"
    office = staff("operator")
    assert "Segel amplop rusak" in office.get("/balikpapan/office/problems").get_data(as_text=True)


def test_tracking_shows_the_driver_only_once_assigned_and_masked(app):
    from saas.portal.views import _driver_shown

    class D:
        driver_name, driver_plate, status = "Agus Salim", "KT 1234 AB", "booked"

    assert _driver_shown(D()) is None
    D.status = "driver_assigned"
    assert _driver_shown(D()) == "Agu*** · KT 12** AB"
    assert datetime.now(timezone.utc) - timedelta(seconds=1) < datetime.now(timezone.utc)
