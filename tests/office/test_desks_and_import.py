"""The office's daily work: the desk offers only what the city's rule allows, an import tells a
conflict from a repeat and hands back its refused rows, the problems page says whom to call."""
from __future__ import annotations

import csv
import io

from saas.couriers.models import Delivery
from saas.documents.services import get_document
from saas.extensions import db
from saas.portal.models import ProblemReport
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import csrf_token_from, make_user, sign_in
from tests.factories import add_document, make_nik
from tests.office.test_interface_words import HEADER, _upload


def test_the_pickup_desk_offers_only_whom_the_citys_rule_allows(app, staff):
    balikpapan = staff("operator")  # owner_or_proxy
    number = add_document(app, status="ready")
    page = balikpapan.get(f"/balikpapan/office/pickup/{number}").get_data(as_text=True)
    assert "Anggota keluarga" not in page and 'value="family"' not in page
    assert 'value="proxy"' in page
    refused = balikpapan.post(f"/balikpapan/office/pickup/{number}", data={
        "csrf_token": csrf_token_from(page), "who": "family", "nik": make_nik(serial=4321)})
    assert refused.status_code == 200
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        assert get_document(number).status == "ready"
    samarinda = app.test_client()  # family_kk
    make_user(app, "samarinda", "operator", "op@samarinda.test")
    sign_in(samarinda, "samarinda", "op@samarinda.test")
    other = add_document(app, slug="samarinda", status="ready", nik=make_nik(region="647203", serial=9))
    page = samarinda.get(f"/samarinda/office/pickup/{other}").get_data(as_text=True)
    assert 'value="family"' in page and 'value="proxy"' not in page


def test_a_known_number_with_another_persons_nik_is_a_conflict_and_refused_rows_download(app, staff):
    office = staff("operator")
    add_document(app, registration_no="BPP-8001", nik=make_nik(serial=801), name="Ani Lestari")
    add_document(app, registration_no="BPP-8002", nik=make_nik(serial=802), name="Budi")
    batch = _upload(office, (HEADER + "\n" + "\n".join([
        f"BPP-8001,{make_nik(serial=901)},Orang Lain,ktp_el,081234567801,,,",  # another person
        f"BPP-8002,{make_nik(serial=802)},Budi,ktp_el,081234567802,,,",  # the same document again
        f"BPP-8003,{make_nik(serial=803)},Baru,ktp_el,0812,,,",
    ]) + "\n").encode())
    preview = office.get(batch).get_data(as_text=True)
    assert "Sudah terdaftar: 1" in preview and "Ditolak: 2" in preview
    assert "nomor milik dokumen orang lain" in preview
    download = office.get(batch + "/refused.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Baris", "No. registrasi", "Alasan", "Rincian"]
    assert [r[1] for r in rows[1:]] == ["BPP-8001", "BPP-8003"]
    assert "NIK berbeda" in rows[1][3] and "Nomor HP" in rows[2][3]
    page = office.get(batch)
    office.post(batch + "/confirm", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    english = office.get(batch + "/refused.csv?lang=en").get_data(as_text=True)
    assert "a different NIK" in english  # kept in both languages once the file is gone


def test_the_problems_page_shows_whom_to_call_and_the_seal(app, staff):
    office = staff("operator")
    number = add_document(app, status="ready", phone="081234560057", name="Siti Aminah")
    with app.app_context():
        tenant = get_tenant("balikpapan")
        with tenant_bound(tenant):
            document = get_document(number)
            delivery = Delivery(tenant_id=tenant.id, provider="gosend", mode="office_booking", status="delivered",
                                pickup_code="P4K9Z2", receipt_pin="1234", seal_number="BPN-SEAL-0042",
                                driver_name="Pak Budi")
            db.session.add(delivery)
            db.session.flush()
            db.session.add(ProblemReport(tenant_id=tenant.id, document_id=document.id, delivery_id=delivery.id,
                                         kind="broken_seal", note="Segel sobek"))
            db.session.commit()
    page = office.get("/balikpapan/office/problems").get_data(as_text=True)
    assert "Siti Aminah" in page and "0057" in page and "BPN-SEAL-0042" in page and "Go-Send" in page


def test_staff_with_a_reason_reveal_the_phone_to_call_or_message_and_it_is_logged(app, staff):
    from saas.accounts.models import StaffAccessLog

    office = staff("operator")
    number = add_document(app, status="ready", phone="081234560057")
    page = office.get(f"/balikpapan/office/documents/{number}").get_data(as_text=True)
    assert "+6281234560057" not in page and "0057" in page
    token = csrf_token_from(page)
    no_reason = office.post(f"/balikpapan/office/documents/{number}/phone", data={"csrf_token": token})
    assert no_reason.status_code == 400 and "+6281234560057" not in no_reason.get_data(as_text=True)
    shown = office.post(f"/balikpapan/office/documents/{number}/phone",
                        data={"csrf_token": token, "reason": "Laporan segel rusak, perlu konfirmasi"})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert 'href="tel:+6281234560057"' in html and 'href="https://wa.me/6281234560057"' in html
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        line = db.session.query(StaffAccessLog).filter_by(action="reveal_phone").one()
        assert line.subject == number and line.reason == "Laporan segel rusak, perlu konfirmasi"
    log = office.get("/balikpapan/office/access-log/")
    assert log.status_code in (200, 403)
