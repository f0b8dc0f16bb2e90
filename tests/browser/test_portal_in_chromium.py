"""The citizen's two flows in Chromium at 360 px, for two cities, plus the language switch and a miss."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from saas.couriers.models import Delivery
from saas.documents.links import document_link
from saas.documents.services import get_document
from saas.extensions import db
from saas.jobs import runtime
from saas.sandboxes import couriers as sandbox
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.browser.conftest import fits_the_phone, shot
from tests.conftest import wait_for
from tests.factories import add_document, make_nik

pytestmark = pytest.mark.browser


def _all_day_couriers(app, slug, monkeypatch):
    """The test may run at any hour, on any day: let this city book couriers around the clock, and a
    holiday not close its office."""
    from saas.tenancy import calendar

    monkeypatch.setattr(calendar, "closed_reason", lambda day: None)
    with app.app_context():
        tenant = get_tenant(slug)
        tenant.courier_settings = {**tenant.courier_settings, "service_hours": {"start": "00:00", "end": "23:59"}}
        db.session.commit()


def test_courier_flow_from_the_message_link_to_the_rating(app, phone, live_server, monkeypatch):
    _all_day_couriers(app, "balikpapan", monkeypatch)
    number = add_document(app, registration_no="BR-0001", status="ready", name="Siti Aminah")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        link = document_link(get_document(number), get_tenant("balikpapan"))
    page = phone
    page.goto(link)
    assert page.get_by_role("heading", name=re.compile("Siti Aminah")).is_visible()
    assert "Kota Balikpapan" in page.content() and fits_the_phone(page)
    shot(page, "balikpapan-01-document-ready")
    page.get_by_role("link", name="Atur pengantaran").click()
    page.get_by_label("Nomor HP penerima").fill("081234567890")
    page.get_by_label("Kelurahan (kecamatan)").select_option(label="Klandasan Ulu (Balikpapan Kota)")
    page.get_by_label("Nama jalan, nomor rumah, RT/RW").fill("Jl. Jenderal Sudirman No. 12, RT 03")
    assert fits_the_phone(page)
    shot(page, "balikpapan-02-courier-form")
    page.get_by_role("button", name="Lihat harga").click()
    assert page.get_by_text("Anda membayar kurir").is_visible() and "Rp" in page.content()
    shot(page, "balikpapan-03-quote")
    page.get_by_role("button", name="Pesan kurir").click()
    pin = page.locator("span.code").first.inner_text()
    assert re.fullmatch(r"\d{6}", pin)
    shot(page, "balikpapan-04-requested")
    with app.app_context():
        runtime(app).run_pending()
        with all_tenants():
            delivery = db.session.scalar(sa.select(Delivery))
            ref, code = delivery.provider_ref, delivery.pickup_code
    sandbox.advance("gosend", ref)
    wait_for(lambda: _delivery_status(app) == "driver_assigned", message="driver assigned")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        from saas.couriers import services as couriers
        from saas.accounts.services import create_user

        clerk = create_user(tenant=get_tenant("balikpapan"), role="operator", email="desk@balikpapan.test",
                            password="correct horse battery")
        delivery = couriers.find_by_pickup_code(code)
        couriers.hand_over(delivery, seal_number="BPP-SEAL-77", driver_name="Agus Salim",
                           driver_plate="KT 1234 AB", staff_user=clerk)
        db.session.commit()
    page.reload()
    assert "BPP-SEAL-77" in page.content() and "Agu***" in page.content()
    shot(page, "balikpapan-05-on-the-way")
    sandbox.run("gosend", ref)
    wait_for(lambda: _delivery_status(app) == "delivered", message="delivered")
    page.reload()
    page.get_by_role("button", name="Dokumen sudah saya terima").click()
    expect(page.get_by_text("Terima kasih: penerimaan sudah dikonfirmasi.")).to_be_visible()
    page.get_by_label("5★").check()
    page.get_by_label("Ada yang ingin disampaikan ke kantor? (boleh kosong)").fill("Cepat dan aman")
    page.get_by_role("button", name="Kirim penilaian").click()
    expect(page.get_by_text("Terima kasih atas penilaian Anda.")).to_be_visible()
    assert fits_the_phone(page)
    shot(page, "balikpapan-06-rated")


def _delivery_status(app):
    with app.app_context(), all_tenants():
        return db.session.scalar(sa.select(Delivery.status))


def test_slot_flow_to_a_booking_code_in_another_city(app, phone):
    nik = make_nik("367406", serial=1201)
    add_document(app, slug="tangerang-selatan", registration_no="TS-0001", status="ready", nik=nik, name="Budi")
    page = phone
    page.goto("/tangerang-selatan/")
    assert "Kota Tangerang Selatan" in page.content()
    shot(page, "tangsel-01-home")
    page.get_by_label("Nomor registrasi").fill("TS-0001")
    page.get_by_label("NIK pemilik dokumen (16 angka)").fill(nik)
    page.get_by_role("button", name="Cari").click()
    page.get_by_role("link", name="Pilih jadwal").click()
    assert fits_the_phone(page)
    shot(page, "tangsel-02-slots")
    page.locator("input[name=starts_at]").first.check()
    page.get_by_role("button", name="Pesan jadwal ini").click()
    code = page.locator("p.code").inner_text()
    assert re.fullmatch(r"JDW-[A-Z0-9]{6}", code)
    assert page.locator("img[alt^='Kode QR']").is_visible() and fits_the_phone(page)
    shot(page, "tangsel-03-booking-code")


def test_the_language_switch(app, phone):
    page = phone
    page.goto("/balikpapan/")
    assert page.get_by_role("heading", name="Cari dokumen Anda").is_visible()
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", name="Find your document").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "balikpapan-english")
    page.get_by_role("link", name="Bahasa Indonesia").click()
    assert page.get_by_role("heading", name="Cari dokumen Anda").is_visible()


def test_a_lookup_with_a_wrong_nik_gets_the_uniform_answer(app, phone):
    add_document(app, registration_no="BR-0002", status="ready", nik=make_nik(serial=1202))
    page = phone
    page.goto("/balikpapan/")
    page.get_by_label("Nomor registrasi").fill("BR-0002")
    page.get_by_label("NIK pemilik dokumen (16 angka)").fill(make_nik(serial=1203))
    page.get_by_role("button", name="Cari").click()
    assert page.get_by_text("Kami tidak menemukan dokumen dengan nomor registrasi dan NIK ini.").is_visible()
    assert page.get_by_label("NIK pemilik dokumen (16 angka)").input_value() == ""
    shot(page, "balikpapan-lookup-miss")


def test_keyboard_focus_is_visible(app, phone):
    page = phone
    page.goto("/balikpapan/")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
