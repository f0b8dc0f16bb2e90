"""The staff's journeys at 360 px and 1366 px, with axe-core (WCAG 2.2 AA) on every page visited and a
screenshot of each kept in test-output/screenshots/: the office (SIAK import → ready → handover desk →
delivered by Go-Send), the returns desk, and the platform operator's console (a new city onboarded, its
first admin signed up, switched live; a city suspended, its paused portal, resumed)."""
from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from saas.couriers import services as couriers
from saas.couriers.models import Delivery
from saas.documents.lifecycle import Actor
from saas.documents.services import get_document
from saas.extensions import db
from saas.sandboxes import couriers as sandbox
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.browser.conftest import accessible, readme_shot
from tests.browser.test_citizen_journeys import _couriers_all_day
from tests.conftest import TENANTS_DIR, make_user, wait_for
from tests.couriers.conftest import DESTINATIONS, run_jobs
from tests.factories import add_document, make_nik

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
SIAK_HEADER = "no_registrasi,nik,nama,jenis_dokumen,no_hp,email,no_kk,kecamatan"


def _sign_in(page, path: str, email: str, name: str) -> None:
    page.goto(path)
    accessible(page, name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()


def _office(page, label: str):
    return page.get_by_role("navigation", name="Kantor").get_by_role("link", name=label, exact=True)


def _citizen_asks_for_a_courier(app, slug: str, numbers: list[str], provider: str) -> int:
    """What the portal does when the citizen orders the courier (the citizen journeys drive it in Chromium)."""
    with app.app_context(), tenant_bound(get_tenant(slug)):
        documents = [get_document(number) for number in numbers]
        destination = DESTINATIONS[slug]
        delivery = couriers.request_delivery(documents, destination, provider, couriers.quote(destination, provider),
                                             Actor.citizen())
        db.session.commit()
        return delivery.id


def _delivery(app, delivery_id: int) -> Delivery:
    with app.app_context(), all_tenants():
        delivery = db.session.get(Delivery, delivery_id)
        db.session.expunge(delivery)
        return delivery


def _driver_comes(app, provider: str, delivery_id: int) -> Delivery:
    """The courier books (the job), then a driver takes the booking in the sandbox."""
    run_jobs(app)
    sandbox.advance(provider, _delivery(app, delivery_id).provider_ref)
    return wait_for(lambda: (d := _delivery(app, delivery_id)).status == "driver_assigned" and d,
                    message="a driver assigned")


def test_office_import_ready_handover_delivered(app, screen, monkeypatch):
    _couriers_all_day(app, "balikpapan", monkeypatch)
    make_user(app, "balikpapan", "operator", "desk@balikpapan.test", name="Rina Wulandari")
    for n, (status, name) in enumerate((("collected", "Agus Salim"), ("delivered", "Nur Aini"),
                                        ("pickup_booked", "Yohanes Tandi"), ("received", "Made Ayu"))):
        add_document(app, registration_no=f"BPP-H00{n + 1}", status=status, name=name, nik=make_nik(serial=6000 + n))
    page = screen
    _sign_in(page, "/balikpapan/office/login", "desk@balikpapan.test", "office-01-sign-in")
    accessible(page, "office-02-queue")

    _office(page, "Impor").click()
    accessible(page, "office-03-import")
    siak = "\n".join([SIAK_HEADER,
                      f"BPP-J001,{make_nik(serial=6101)},Siti Aminah,ktp_el,081234566101,,,",
                      f"BPP-J002,{make_nik(serial=6102)},Budi Santoso,kia,081234566102,,,",
                      f"BPP-J003,{make_nik(serial=6103)},Dewi Lestari,ktp_el,081234566103,,,",
                      f"BPP-J004,{make_nik(serial=6104)},Rahmat Hidayat,ktp_el,0812,,,"]) + "\n"
    page.get_by_label("Ekspor SIAK (.csv atau .xlsx)").set_input_files(
        {"name": "siak-hari-ini.csv", "mimeType": "text/csv", "buffer": siak.encode()})
    page.get_by_role("button", name="Periksa berkas").click()
    expect(page.get_by_role("heading", name="siak-hari-ini.csv")).to_be_visible()
    expect(page.get_by_text("Baru: 3")).to_be_visible()
    expect(page.get_by_text("Ditolak: 1")).to_be_visible()
    accessible(page, "office-04-import-preview")
    page.get_by_role("button", name="Impor 3 dokumen baru").click()
    expect(page.get_by_text("3 dokumen diimpor").first).to_be_visible()
    accessible(page, "office-05-imported")

    _office(page, "Antrean").click()
    for number in ("BPP-J001", "BPP-J002", "BPP-J003"):
        page.locator("tr", has_text=number).get_by_role("checkbox").check()
    accessible(page, "office-06-queue-ticked")
    page.get_by_role("button", name="Tandai dokumen terpilih siap").click()
    expect(page.get_by_text("3 dokumen ditandai siap.")).to_be_visible()
    accessible(page, "office-07-marked-ready")
    page.get_by_role("link", name=re.compile("^Semua")).click()
    readme_shot(page, "office-queue")
    accessible(page, "office-08-queue-all")

    delivery_id = _citizen_asks_for_a_courier(app, "balikpapan", ["BPP-J001"], "gosend")
    delivery = _driver_comes(app, "gosend", delivery_id)
    _office(page, "Loket serah kurir").click()
    accessible(page, "office-09-handover-desk")
    page.get_by_label("Kode ambil").fill(delivery.pickup_code)
    page.get_by_role("button", name="Cari amplop").click()
    expect(page.get_by_text("BPP-J001").first).to_be_visible()
    assert page.get_by_label("Nama pengemudi").input_value() == delivery.driver_name  # as the courier sent it
    accessible(page, "office-10-envelope")
    page.get_by_label("Nomor segel").fill("BPP-SEAL-0101")
    page.get_by_role("button", name="Serahkan").click()
    expect(page.get_by_role("link", name="Cetak berita acara serah terima")).to_be_visible()
    expect(page.locator("main")).to_contain_text("BPP-SEAL-0101")
    accessible(page, "office-11-handed-over")

    sandbox.run("gosend", delivery.provider_ref)
    wait_for(lambda: _delivery(app, delivery_id).status == "delivered", message="delivered")
    _office(page, "Antrean").click()
    page.get_by_role("link", name="BPP-J001").click()
    expect(page.get_by_text("Terkirim").first).to_be_visible()
    assert "BPP-SEAL-0101" in page.content()
    accessible(page, "office-12-document-delivered")


def test_returns_desk_takes_back_a_returned_delivery(app, screen, monkeypatch):
    _couriers_all_day(app, "tangerang-selatan", monkeypatch)
    sandbox.set_scenario("grab", "returned")
    number = add_document(app, slug="tangerang-selatan", registration_no="TS-R001", status="ready",
                          nik=make_nik("367406", serial=6201), name="Budi Santoso")
    delivery_id = _citizen_asks_for_a_courier(app, "tangerang-selatan", [number], "grab")
    delivery = _driver_comes(app, "grab", delivery_id)
    clerk = make_user(app, "tangerang-selatan", "operator", "desk@tangsel.test", name="Dimas Pratama")
    with app.app_context(), tenant_bound(get_tenant("tangerang-selatan")):
        from saas.accounts.models import User

        couriers.hand_over(couriers.find_by_pickup_code(delivery.pickup_code), seal_number="TS-SEAL-7",
                           driver_name=delivery.driver_name, driver_plate=delivery.driver_plate,
                           staff_user=db.session.get(User, clerk))
        db.session.commit()
    sandbox.run("grab", delivery.provider_ref)
    wait_for(lambda: _delivery(app, delivery_id).status == "returned", message="returned")

    page = screen
    _sign_in(page, "/tangerang-selatan/office/login", "desk@tangsel.test", "returns-01-sign-in")
    _office(page, "Pengembalian").click()
    row = page.locator("tr", has_text="TS-R001")
    expect(row.get_by_text("Budi Santoso")).to_be_visible()
    accessible(page, "returns-02-desk")
    row.get_by_role("button", name="Tawarkan lagi").click()
    expect(page.get_by_text("Tidak ada yang menunggu di sini.")).to_be_visible()
    expect(page.get_by_text("TS-R001").first).to_be_visible()
    accessible(page, "returns-03-offered-again")
    with app.app_context(), tenant_bound(get_tenant("tangerang-selatan")):
        assert get_document("TS-R001").status == "ready"


def _operator(app, page, name: str) -> None:
    make_user(app, None, "superadmin", "root@antar.test", name="Operator Platform")
    _sign_in(page, "/admin/login", "root@antar.test", f"{name}-01-sign-in")
    expect(page.get_by_role("heading", name="Kota").first).to_be_visible()
    accessible(page, f"{name}-02-cities")


def test_console_onboards_a_city_its_first_admin_signs_up_and_it_goes_live(app, screen, tmp_path):
    tenants_dir = tmp_path / "tenants"
    shutil.copytree(TENANTS_DIR, tenants_dir)
    before = app.config["TENANTS_DIR"]
    app.config["TENANTS_DIR"] = str(tenants_dir)
    try:
        _onboard(app, screen)
    finally:
        app.config["TENANTS_DIR"] = before


def _onboard(app, page) -> None:
    _operator(app, page, "onboard")
    page.get_by_role("link", name="Tambah kota").click()
    accessible(page, "onboard-03-form")
    fields = {"slug": "pontianak", "name": "Disdukcapil Kota Pontianak", "city_name": "Kota Pontianak",
              "region_code": "61.71", "go_live": "2027-01-04", "primary_color": "#14532d",
              "accent_color": "#facc15", "office_name": "Kantor Disdukcapil",
              "office_address": "Jl. Rahadi Usman No. 3, Pontianak", "office_phone": "+62561733333",
              "pickup_phone": "+6281234560101", "office_email": "layanan@pontianak.antar.test",
              "latitude": "-0.0263", "longitude": "109.3425",
              "kecamatan": "61.71.01 Pontianak Selatan\n61.71.02 Pontianak Timur"}
    for name, value in fields.items():
        page.locator(f"[name={name}]").fill(value)
    page.locator("[name=timezone]").select_option("Asia/Pontianak")
    for name, value in (("types", "ktp_el"), ("types", "kk"), ("providers", "grab"), ("channels", "whatsapp")):
        page.locator(f"input[name={name}][value={value}]").check()
    page.get_by_role("button", name="Periksa dan tampilkan berkas").click()
    expect(page.get_by_role("heading", name="tenants/pontianak/tenant.toml")).to_be_visible()
    accessible(page, "onboard-04-file-shown")
    page.get_by_role("button", name="Tulis berkas dan sinkronkan").click()
    expect(page.get_by_role("heading", name="Kota Pontianak")).to_be_visible()
    expect(page.get_by_text("uji coba", exact=True)).to_be_visible()
    accessible(page, "onboard-05-city-in-trial")

    page.get_by_label("E-mail administrator pertama kota").fill("Kepala@Pontianak.test")
    page.get_by_role("button", name="Buat tautan pendaftaran").click()
    link = page.locator("code.token").inner_text()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/pontianak/office/welcome/\S+", link)
    accessible(page, "onboard-06-sign-up-link")

    newcomer = page.context.browser.new_context(viewport=page.viewport_size, locale="id-ID",
                                                is_mobile=page.viewport_size["width"] < 600)
    admin = newcomer.new_page()
    try:
        admin.goto(link)
        expect(admin.get_by_text("kepala@pontianak.test")).to_be_visible()
        accessible(admin, "onboard-07-welcome")
        admin.locator("[name=name]").fill("Kepala Dinas")
        admin.locator("[name=password]").fill(PASSWORD)
        admin.locator("[name=again]").fill(PASSWORD)
        admin.get_by_role("button", name="Buat akun saya").click()
        admin.wait_for_url(re.compile(r"/pontianak/office/login$"))
        _sign_in(admin, admin.url, "kepala@pontianak.test", "onboard-08-first-sign-in")
        admin.wait_for_url(re.compile(r"/pontianak/office/$"))
        accessible(admin, "onboard-09-first-admin-in-the-office")
        admin.goto(link)
        expect(admin.get_by_text("sudah dipakai").first).to_be_visible()  # the link served once
        accessible(admin, "onboard-10-link-used")
    finally:
        newcomer.close()

    page.get_by_label(re.compile("Kantor sudah mencoba Antar")).check()
    page.get_by_role("button", name="Jadikan kota live").click()
    expect(page.get_by_text("Kota Pontianak sudah live")).to_be_visible()
    expect(page.get_by_text("uji coba", exact=True)).to_have_count(0)
    accessible(page, "onboard-11-live")
    with app.app_context():
        assert get_tenant("pontianak").trial is False


def test_console_suspends_a_city_its_portal_pauses_in_its_colours_and_resumes(app, screen):
    page = screen
    _operator(app, page, "suspend")
    page.get_by_role("link", name="Kota Makassar").click()
    accessible(page, "suspend-03-city")
    page.get_by_label(re.compile("Alasan")).fill("Audit keuangan")
    confirm = page.get_by_label(re.compile("Saya mengerti"))
    page.get_by_role("button", name="Hentikan sementara kota ini").click()
    assert confirm.evaluate("box => box.validity.valueMissing")  # not without the confirmation
    confirm.check()
    page.get_by_role("button", name="Hentikan sementara kota ini").click()
    expect(page.get_by_text("Kota Makassar dihentikan sementara")).to_be_visible()
    accessible(page, "suspend-04-paused")

    visitor = page.context.browser.new_context(viewport=page.viewport_size, locale="id-ID",
                                               is_mobile=page.viewport_size["width"] < 600)
    citizen = visitor.new_page()
    base = page.url.split("/admin/")[0]
    try:
        answer = citizen.goto(f"{base}/makassar/")
        assert answer.status == 503
        expect(citizen.get_by_role("heading", name="Layanan dihentikan sementara")).to_be_visible()
        logo = citizen.locator("img[src='/makassar/logo.svg']")
        expect(logo).to_be_visible()
        assert logo.evaluate("img => img.naturalWidth") > 0
        with app.app_context():
            primary = get_tenant("makassar").branding["primary_color"].lower()
        brand = citizen.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()")
        assert brand.lower() == primary
        accessible(citizen, "suspend-05-portal-paused")

        page.get_by_role("button", name="Aktifkan kembali kota ini").click()
        expect(page.get_by_text("Kota Makassar melayani kembali.")).to_be_visible()
        accessible(page, "suspend-06-resumed")
        assert citizen.goto(f"{base}/makassar/").status == 200
        expect(citizen.get_by_role("button", name="Cari")).to_be_visible()
    finally:
        visitor.close()
