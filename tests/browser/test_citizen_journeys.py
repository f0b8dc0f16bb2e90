"""The citizen's journeys at 360 px and 1366 px, with axe-core (WCAG 2.2 AA) on every page visited and
a screenshot of each kept in test-output/screenshots/: pickup (look up, choose a day and a time, move
it, cancel it) and courier (Go-Send in Balikpapan; GrabExpress or PT Pos in Surabaya)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from saas.documents.links import document_link
from saas.documents.services import get_document
from saas.extensions import db
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.browser.conftest import accessible, readme_shot
from tests.factories import add_document, make_nik

pytestmark = pytest.mark.browser


def _couriers_all_day(app, slug, monkeypatch):
    """The journey may run at any hour, on any day: the city books couriers around the clock for it,
    and a holiday does not close its office."""
    from saas.tenancy import calendar

    monkeypatch.setattr(calendar, "closed_reason", lambda day: None)
    with app.app_context():
        tenant = get_tenant(slug)
        tenant.courier_settings = {**tenant.courier_settings, "service_hours": {"start": "00:00", "end": "23:59"}}
        db.session.commit()


def test_pickup_journey(app, screen):
    width = screen.viewport_size["width"]
    nik = make_nik(serial=7400 + width % 97)
    add_document(app, registration_no="JR-P001", status="ready", nik=nik, name="Siti Aminah")
    page = screen
    page.goto("/balikpapan/")
    accessible(page, "journey-pickup-01-home")
    page.get_by_role("button", name="Cari").click()
    expect(page.get_by_text("Isi nomor registrasi dari tanda terima Anda.").first).to_be_visible()
    accessible(page, "journey-pickup-02-empty-lookup")
    page.get_by_label("Nomor registrasi").fill("JR-P001")
    page.get_by_label("NIK pemilik dokumen (16 angka)").fill(nik)
    page.get_by_role("button", name="Cari").click()
    expect(page.get_by_role("heading", name=re.compile("Siti Aminah"))).to_be_visible()
    readme_shot(page, "portal")
    accessible(page, "journey-pickup-03-document")
    page.get_by_role("link", name="Pilih jadwal").click()
    accessible(page, "journey-pickup-04-slots")
    page.get_by_role("navigation", name="Hari").get_by_role("link").nth(1).click()
    page.locator("label.slot").first.click()
    page.get_by_role("button", name="Pesan jadwal ini").click()
    code = page.locator("p.code").inner_text()
    assert re.fullmatch(r"JDW-[A-Z0-9]{6}", code)
    accessible(page, "journey-pickup-05-booking")
    page.get_by_role("link", name="Pindah jadwal").click()
    expect(page.get_by_text("Jadwal Anda sekarang")).to_be_visible()
    assert code in page.content()
    accessible(page, "journey-pickup-06-move")
    page.locator("label.slot").nth(2).click()
    page.get_by_role("button", name="Pindah ke jadwal ini").click()
    assert page.locator("p.code").inner_text() == code
    accessible(page, "journey-pickup-07-moved")
    page.get_by_role("link", name="Batalkan jadwal").click()
    accessible(page, "journey-pickup-08-cancel-question")
    page.get_by_role("button", name="Ya, batalkan jadwal").click()
    expect(page.get_by_text("Jadwal ambil Anda dibatalkan")).to_be_visible()
    accessible(page, "journey-pickup-09-cancelled")


def test_courier_journey_with_gosend(app, screen, monkeypatch):
    _couriers_all_day(app, "balikpapan", monkeypatch)
    number = add_document(app, registration_no="JR-C001", status="ready", name="Budi Santoso")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        link = document_link(get_document(number), get_tenant("balikpapan"))
    page = screen
    page.goto(link)
    accessible(page, "journey-courier-01-document")
    page.get_by_role("link", name="Atur pengantaran").click()
    expect(page.get_by_text("Kurir tersedia 00.00–23.59 WITA")).to_be_visible()
    accessible(page, "journey-courier-02-form")
    page.get_by_role("button", name="Lihat harga").click()
    assert page.locator(".flash-error").count() >= 3  # every missing field at once
    accessible(page, "journey-courier-03-form-errors")
    page.get_by_label("Nomor HP penerima").fill("081234567890")
    page.get_by_label("Kecamatan", exact=True).select_option("Balikpapan Kota")  # with JS: kecamatan first
    assert page.get_by_label("Kelurahan (kecamatan)").locator("option").count() == 1 + 5
    page.get_by_label("Kelurahan (kecamatan)").select_option(label="Klandasan Ulu (Balikpapan Kota)")
    page.get_by_label("Nama jalan, nomor rumah, RT/RW").fill("Jl. Jenderal Sudirman No. 12, RT 03")
    page.get_by_role("button", name="Lihat harga").click()
    expect(page.get_by_text("Anda membayar kurir")).to_be_visible()
    accessible(page, "journey-courier-04-quote")
    page.get_by_role("button", name="Pesan kurir").click()
    assert re.fullmatch(r"\d{6}", page.locator("span.code").first.inner_text())
    accessible(page, "journey-courier-05-requested")


def test_courier_journey_in_surabaya_with_its_location_rule(app, screen, monkeypatch):
    _couriers_all_day(app, "surabaya", monkeypatch)
    nik = make_nik("357801", serial=7500 + screen.viewport_size["width"] % 97)
    add_document(app, slug="surabaya", registration_no="JR-S001", status="ready", nik=nik, name="Dewi Lestari")
    page = screen
    page.goto("/surabaya/")
    accessible(page, "journey-surabaya-01-home")
    page.get_by_label("Nomor registrasi").fill("JR-S001")
    page.get_by_label("NIK pemilik dokumen (16 angka)").fill(nik)
    page.get_by_role("button", name="Cari").click()
    page.get_by_role("link", name="Atur pengantaran").click()
    expect(page.get_by_text("Lokasi tepatnya (boleh kosong)")).to_be_visible()
    page.get_by_label("Nomor HP penerima").fill("081234567891")
    page.get_by_label("Kelurahan (kecamatan)").select_option(label="Darmo (Wonokromo)")
    page.get_by_label("Nama jalan, nomor rumah, RT/RW").fill("Jl. Raya Darmo No. 40")
    page.get_by_role("button", name="Lihat harga").click()  # no location: both, Grab's from Darmo's centre
    expect(page.get_by_text("Rp12.000")).to_be_visible()
    expect(page.get_by_text("Harga diperkirakan dari titik tengah kelurahan Anda", exact=False)).to_be_visible()
    assert page.locator(".courier-offer input[type=radio]").count() == 2
    accessible(page, "journey-surabaya-02-quotes-without-location")
    page.get_by_role("link", name="Ubah alamat").click()
    page.get_by_label("Lintang").fill("-7.2900")
    page.get_by_label("Bujur").fill("112.7380")
    page.get_by_role("button", name="Lihat harga").click()  # with it, both couriers side by side
    assert page.locator(".courier-offer input[type=radio]").count() == 2
    page.get_by_label("PT Pos Indonesia").check()
    accessible(page, "journey-surabaya-03-quote")
    page.get_by_role("button", name="Pesan kurir").click()
    accessible(page, "journey-surabaya-04-requested")
