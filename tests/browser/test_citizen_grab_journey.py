"""The citizen's courier journey with GrabExpress, on a 360 px phone in Tangerang Selatan (the city whose
couriers are Gojek and Grab), with axe-core (WCAG 2.2 AA) on every page visited and a screenshot of each
kept in test-output/screenshots/: the link from the "ready" WhatsApp message, the address by kelurahan,
Go-Send and GrabExpress side by side, Grab chosen, then the trip followed on the citizen's page while the
Grab sandbox moves it (driver assigned, picked up at the office's desk, delivered); and the same outside
courier hours, booked for tomorrow's opening."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from saas.couriers import services as couriers
from saas.couriers.models import Delivery
from saas.extensions import db
from saas.portal import services as portal
from saas.sandboxes import couriers as sandbox
from saas.sandboxes import messages
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.browser.conftest import accessible
from tests.browser.test_citizen_journeys import _couriers_all_day
from tests.conftest import make_user, wait_for
from tests.couriers.conftest import run_jobs
from tests.factories import add_document, make_nik

pytestmark = pytest.mark.browser
CITY = "tangerang-selatan"
#: Words a citizen never reads: a status code, a courier's own status, a field's name.
RAW_CODES = re.compile(r"\b(?:[a-z]+_[a-z_]+|[A-Z]{3,}_[A-Z_]+|quoted|booked|allocat\w*|grab|gosend|None)\b")
MONDAY_20_WIB = datetime(2026, 11, 30, 13, 0, tzinfo=timezone.utc)
TUESDAY_08_WIB = datetime(2026, 12, 1, 1, 2, tzinfo=timezone.utc)


def _ready_message_link(app, registration_no: str, name: str) -> str:
    """A ready document, and the link its WhatsApp "ready" message carries."""
    add_document(app, slug=CITY, registration_no=registration_no, status="ready", name=name,
                 nik=make_nik("367406", serial=6300 + int(registration_no[-3:])))
    sent = wait_for(lambda: run_jobs(app) >= 0 and messages.received("whatsapp"), message="the ready message")
    assert len(sent) == 1 and sent[0]["parameters"][0] == name
    link = sent[0]["parameters"][3]
    assert f"/{CITY}/d/" in link
    return link


def _delivery(app) -> Delivery:
    with app.app_context(), all_tenants():
        delivery = db.session.scalars(db.select(Delivery)).one()
        db.session.expunge(delivery)
        return delivery


def _reads_indonesian(page) -> None:
    """What the citizen reads on the page holds no raw code."""
    text = page.locator("main").inner_text()
    assert not RAW_CODES.findall(text), f"raw codes on {page.url}: {RAW_CODES.findall(text)}"


def _asks_for_grab(page, name: str) -> None:
    """From the document page: the address by kecamatan and kelurahan, the quotes, GrabExpress chosen."""
    page.get_by_role("link", name="Atur pengantaran").click()
    assert page.get_by_label("Nama penerima").input_value() == name
    page.get_by_label("Nomor HP penerima").fill("081234567892")
    page.get_by_label("Kecamatan", exact=True).select_option("Pamulang")
    page.get_by_label("Kelurahan (kecamatan)").select_option(label="Pamulang Barat (Pamulang)")
    page.get_by_label("Nama jalan, nomor rumah, RT/RW").fill("Jl. Pajajaran No. 5, RT 02/RW 04")


def _side_by_side(page) -> None:
    offers = page.locator(".courier-offer")
    expect(offers).to_have_count(2)
    gosend, grab = offers.nth(0), offers.nth(1)
    expect(gosend).to_contain_text("Go-Send")
    expect(grab).to_contain_text("GrabExpress")
    for offer in (gosend, grab):
        expect(offer).to_contain_text(re.compile(r"Rp\d{1,3}(\.\d{3})+ \(\d+,\d km\)"))  # 4,3 km, not 4.3
        expect(offer).to_contain_text("Yang membayar")
        expect(offer).to_contain_text("Anda membayar kurir")
        expect(offer).to_contain_text("Kapan tiba")
        expect(offer.locator("input[type=radio]")).to_have_count(1)
    _reads_indonesian(page)


def _the_trip_reads(page, status: str) -> None:
    page.reload()
    delivery = page.locator("#delivery")
    expect(delivery.locator(".badge")).to_have_text(status)
    expect(delivery).to_contain_text("GrabExpress")
    _reads_indonesian(page)


def _office_hands_over(app) -> None:
    """The clerk at the courier desk gives the sealed envelope to the Grab driver."""
    delivery = _delivery(app)
    clerk = make_user(app, CITY, "operator", "desk@tangsel.test", name="Dimas Pratama")
    with app.app_context(), tenant_bound(get_tenant(CITY)):
        from saas.accounts.models import User

        couriers.hand_over(couriers.find_by_pickup_code(delivery.pickup_code), seal_number="TS-SEAL-0314",
                           driver_name=delivery.driver_name, driver_plate=delivery.driver_plate,
                           staff_user=db.session.get(User, clerk))
        db.session.commit()


def _status(app, status: str) -> Delivery:
    return wait_for(lambda: (d := _delivery(app)).status == status and d, message=status)


def test_citizen_chooses_grab_and_follows_the_trip_to_the_door(app, phone, monkeypatch):
    _couriers_all_day(app, CITY, monkeypatch)
    page = phone
    page.goto(_ready_message_link(app, "TS-G001", "Budi Santoso"))
    expect(page.get_by_role("heading", name=re.compile("Budi Santoso"))).to_be_visible()
    accessible(page, "grab-01-document")
    _asks_for_grab(page, "Budi Santoso")
    expect(page.get_by_text("Kurir tersedia 00.00–23.59 WIB")).to_be_visible()
    accessible(page, "grab-02-form")
    page.get_by_role("button", name="Lihat harga").click()
    expect(page.get_by_role("heading", name="Setujui pengantaran")).to_be_visible()
    _side_by_side(page)
    accessible(page, "grab-03-quotes")
    grab_price = page.locator(".courier-offer").nth(1).locator("dd strong").first.inner_text()
    page.get_by_label("GrabExpress").check()
    page.get_by_role("button", name="Pesan kurir").click()
    expect(page.get_by_text("Kurir sedang dipesan")).to_be_visible()
    # The trip keeps the price the citizen agreed to, and who pays it.
    expect(page.locator("#delivery")).to_contain_text(f"Harga: {grab_price}. Anda membayar kurir")
    pin = page.locator("#delivery span.code").inner_text()
    assert re.fullmatch(r"\d{6}", pin)
    _reads_indonesian(page)
    accessible(page, "grab-04-requested")
    assert _delivery(app).provider == "grab"

    run_jobs(app)  # the office's worker books GrabExpress
    delivery = _status(app, "booked")
    _the_trip_reads(page, "Kurir dipesan, mencari pengemudi")
    accessible(page, "grab-05-booked")

    sandbox.advance("grab", delivery.provider_ref)  # a driver takes the booking
    delivery = _status(app, "driver_assigned")
    _the_trip_reads(page, "Pengemudi ditemukan")
    expect(page.locator("#delivery")).to_contain_text(f"Pengemudi: {delivery.driver_name.split()[0][:3]}***")
    assert delivery.driver_name not in page.content()  # masked
    accessible(page, "grab-06-driver-assigned")

    _office_hands_over(app)
    sandbox.advance("grab", delivery.provider_ref)  # the driver is at the desk
    sandbox.advance("grab", delivery.provider_ref)  # and leaves with the envelope
    _status(app, "picked_up")
    _the_trip_reads(page, "Sudah diambil: dalam perjalanan")
    expect(page.locator("#delivery")).to_contain_text("TS-SEAL-0314")
    expect(page.locator("#delivery")).to_contain_text(pin)
    accessible(page, "grab-07-picked-up")

    sandbox.run("grab", delivery.provider_ref)
    _status(app, "delivered")
    _the_trip_reads(page, "Terkirim")
    expect(page.get_by_role("button", name="Dokumen sudah saya terima")).to_be_visible()
    accessible(page, "grab-08-delivered")
    timeline = page.locator("#delivery ol.timeline li strong").all_inner_texts()
    assert timeline[-1] == "Terkirim" and "Pengemudi ditemukan" in timeline


def _at(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(couriers, "utcnow", lambda: moment)
    monkeypatch.setattr(portal, "utcnow", lambda: moment)


def test_outside_courier_hours_grab_is_booked_at_tomorrows_opening(app, phone, monkeypatch):
    from saas.tenancy import calendar

    monkeypatch.setattr(calendar, "closed_reason", lambda day: None)
    _at(monkeypatch, MONDAY_20_WIB)
    page = phone
    page.goto(_ready_message_link(app, "TS-G002", "Dewi Kartika"))
    page.get_by_role("link", name="Atur pengantaran").click()
    closed = page.locator(".courier-closed")
    expect(closed).to_contain_text("Kurir tersedia 08.00–17.00 WIB")
    expect(closed).to_contain_text("besok, Selasa 1 Desember, pukul 08.00 WIB")
    accessible(page, "grab-later-01-closed")
    page.get_by_label("Nomor HP penerima").fill("081234567893")
    page.get_by_label("Kecamatan", exact=True).select_option("Serpong")
    page.get_by_label("Kelurahan (kecamatan)").select_option(label="Rawabuntu (Serpong)")
    page.get_by_label("Nama jalan, nomor rumah, RT/RW").fill("Jl. Rawa Buntu Utara No. 9")
    page.get_by_role("button", name="Lihat perkiraan harga, untuk dipesan saat jam buka berikutnya").click()
    _side_by_side(page)
    expect(page.locator("p.flash-warning")).to_contain_text("besok, Selasa 1 Desember, pukul 08.00 WIB")
    grab = page.locator(".courier-offer").nth(1)
    expect(grab).to_contain_text("Perkiraan harga")
    # Not tonight's arrival time of a courier that is booked tomorrow:
    expect(grab).to_contain_text("Setelah kurir dipesan pada jam buka berikutnya, besok, Selasa 1 Desember")
    expect(grab).not_to_contain_text("Tiba sekitar")
    # The long note under the estimate reads across the card, not in a sliver beside its label.
    note = grab.locator("dd").first.bounding_box()
    assert note["width"] >= 0.8 * grab.bounding_box()["width"], (note, grab.bounding_box())
    accessible(page, "grab-later-02-estimates")
    page.get_by_label("GrabExpress").check()
    page.get_by_role("button", name="Pesan untuk jam buka berikutnya").click()
    expect(page.get_by_text("kurir dipesan besok, Selasa 1 Desember, pukul 08.00 WIB")).to_be_visible()
    expect(page.locator("#delivery .badge")).to_have_text("Menunggu pemesanan kurir")
    expect(page.locator("#delivery")).to_contain_text(re.compile(r"Perkiraan harga: Rp\d+\.\d{3}\.\s+Anda membayar"))
    expect(page.locator("#delivery")).to_contain_text("GrabExpress")
    _reads_indonesian(page)
    accessible(page, "grab-later-03-waiting")
    page.reload()  # the notice is gone; the trip still says when it is booked, in the city's time
    expect(page.locator("#delivery")).to_contain_text("kurir dipesan pada Selasa 1 Desember, 08.00 WIB")
    run_jobs(app)
    assert _delivery(app).provider_ref is None  # nothing is booked before the opening

    _at(monkeypatch, TUESDAY_08_WIB)
    with app.app_context():
        from saas.couriers import jobs

        jobs.book_scheduled_deliveries()
    run_jobs(app)
    delivery = _status(app, "booked")
    assert delivery.provider == "grab" and delivery.provider_ref
    _the_trip_reads(page, "Kurir dipesan, mencari pengemudi")
    accessible(page, "grab-later-04-booked")
