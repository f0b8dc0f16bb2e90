"""The office in the browser's terms: queue, document page, desks, report and roles."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from saas.accounts.models import StaffAccessLog
from saas.documents.models import Document, DocumentEvent
from saas.extensions import db
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import csrf_token_from, submit
from tests.factories import add_document, make_kk, make_nik


def test_queue_tabs_count_by_status_and_search_finds_by_number_name_and_nik_tail(app, staff):
    client = staff("operator")
    add_document(app, registration_no="BPP-1001", name="Siti Aminah", nik=make_nik(serial=4321))
    add_document(app, registration_no="BPP-1002", name="Budi Santoso", status="ready")
    add_document(app, registration_no="BPP-1003", name="Ani", status="ready", doc_type="kia")
    add_document(app, slug="samarinda", registration_no="SMD-1001", name="Siti Samarinda")
    html = client.get("/balikpapan/office/").get_data(as_text=True)
    assert "BPP-1001" in html and "SMD-1001" not in html
    assert 'Siap <span class="badge">2</span>' in html and 'Diterima <span class="badge">1</span>' in html
    assert "BPP-1001" in client.get("/balikpapan/office/?q=siti").get_data(as_text=True)
    assert "Siti Samarinda" not in client.get("/balikpapan/office/?q=siti").get_data(as_text=True)
    by_tail = client.get("/balikpapan/office/?q=4321").get_data(as_text=True)
    assert "BPP-1001" in by_tail and "BPP-1002" not in by_tail
    by_number = client.get("/balikpapan/office/?q=bpp-100").get_data(as_text=True)
    assert all(n in by_number for n in ("BPP-1001", "BPP-1002", "BPP-1003"))
    kia = client.get("/balikpapan/office/?doc_type=kia").get_data(as_text=True)
    assert "BPP-1003" in kia and "BPP-1002" not in kia
    ready = client.get("/balikpapan/office/?status=ready").get_data(as_text=True)
    assert "BPP-1001" not in ready and "BPP-1002" in ready


def test_a_whole_nik_is_searched_by_post_and_never_enters_a_url(app, staff):
    client = staff("operator")
    nik = make_nik(serial=4322)
    add_document(app, registration_no="BPP-1101", name="Siti Aminah", nik=nik)
    add_document(app, registration_no="BPP-1102", name="Budi Santoso")
    response = submit(client, "/balikpapan/office/", {"q": nik}, action="/balikpapan/office/search")
    assert response.status_code == 302 and nik not in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "BPP-1101" in page and "BPP-1102" not in page
    assert f"Dokumen dengan NIK {nik[:4]}**********{nik[-2:]}" in page and nik not in page
    by_name = submit(client, "/balikpapan/office/", {"q": "budi"}, action="/balikpapan/office/search")
    assert by_name.headers["Location"].endswith("/balikpapan/office/?q=budi")
    assert client.post("/balikpapan/office/search", data={"q": nik}).status_code == 400  # no CSRF token
    assert "BPP-1102" in client.get("/balikpapan/office/").get_data(as_text=True)


def test_queue_pages_by_keyset(app, staff):
    client = staff("operator")
    for n in range(55):
        add_document(app, registration_no=f"BPP-{2000 + n}")
    first = client.get("/balikpapan/office/").get_data(as_text=True)
    assert "BPP-2054" in first and "BPP-2004" not in first and "Lebih lama" in first
    after = first.split('href="/balikpapan/office/?after=')[1].split('"')[0]
    second = client.get(f"/balikpapan/office/?after={after}").get_data(as_text=True)
    assert "BPP-2004" in second and "BPP-2054" not in second and "Lebih baru" in second


def test_bulk_mark_ready_moves_only_received_documents(app, staff):
    client = staff("operator")
    fresh = [add_document(app, registration_no=f"BPP-300{n}") for n in range(3)]
    collected = add_document(app, registration_no="BPP-3009", status="collected")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        ids = [db.session.scalar(sa.select(Document.id).where(Document.registration_no == n))
               for n in fresh + [collected]]
    page = client.get("/balikpapan/office/")
    response = client.post("/balikpapan/office/documents/mark-ready", data={
        "csrf_token": csrf_token_from(page.get_data(as_text=True)), "document_id": [str(i) for i in ids]})
    assert response.status_code == 302
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 dokumen ditandai siap" in flashed and "BPP-3009" in flashed
    with app.app_context(), all_tenants():
        statuses = dict(db.session.execute(sa.select(Document.registration_no, Document.status)).all())
    assert [statuses[n] for n in fresh] == ["ready"] * 3 and statuses[collected] == "collected"


def test_document_page_shows_the_timeline_and_logs_the_look(app, staff):
    client = staff("operator")
    number = add_document(app, registration_no="BPP-4001", status="ready")
    html = client.get(f"/balikpapan/office/documents/{number}").get_data(as_text=True)
    assert "Diterima" in html and "Siap" in html and "6471**********" in html
    response = submit(client, f"/balikpapan/office/documents/{number}",
                      {"to": "cancelled", "note": "Data ganda di SIAK"},
                      action=f"/balikpapan/office/documents/{number}/transition")
    assert response.status_code == 302
    html = client.get(f"/balikpapan/office/documents/{number}").get_data(as_text=True)
    assert "Dibatalkan" in html and "Data ganda di SIAK" in html and "operator of balikpapan" in html
    with app.app_context(), all_tenants():
        looks = db.session.scalars(sa.select(StaffAccessLog.subject)
                                   .where(StaffAccessLog.action == "view_document")).all()
    assert looks == [number] * 3  # each time the page was opened
    assert client.get("/balikpapan/office/documents/NOPE-1").status_code == 404
    add_document(app, slug="samarinda", registration_no="SMD-4001")
    assert client.get("/balikpapan/office/documents/SMD-4001").status_code == 404


def _collect(client, number, **data):
    return submit(client, f"/balikpapan/office/pickup/{number}", data)


def test_pickup_desk_checks_the_owner_by_nik(app, staff):
    client = staff("operator")
    nik = make_nik(serial=5001)
    number = add_document(app, registration_no="BPP-5001", status="ready", nik=nik)
    wrong = _collect(client, number, who="owner", nik=make_nik(serial=5002))
    assert "NIK ini bukan milik pemilik" in wrong.get_data(as_text=True)
    right = _collect(client, number, who="owner", nik=nik)
    assert right.status_code == 302
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        document = db.session.scalar(sa.select(Document).where(Document.registration_no == number))
        assert document.status == "collected"
        assert "6471**********" in document.events[-1].note and nik not in document.events[-1].note


def test_pickup_desk_applies_each_citys_collection_rule(app, staff):
    client = staff("operator")
    kk = make_kk(serial=5100)
    # Balikpapan: owner or surat kuasa; a family member without one is turned away.
    number = add_document(app, registration_no="BPP-5100", status="ready", kk_number=kk)
    refused = _collect(client, number, who="family", nik=make_nik(serial=5101), kk_number=kk)
    assert "surat kuasa" in refused.get_data(as_text=True)
    incomplete = _collect(client, number, who="proxy", nik=make_nik(serial=5101))
    assert "Catat nama" in incomplete.get_data(as_text=True)
    ok = _collect(client, number, who="proxy", nik=make_nik(serial=5101), proxy_name="Rahmat",
                  letter_no="SK-17/2026")
    assert ok.status_code == 302
    # Samarinda: family on the same KK.
    client = staff("operator", slug="samarinda")
    smd = add_document(app, slug="samarinda", registration_no="SMD-5100", status="ready", kk_number=kk,
                       doc_type="kk")
    other_family = submit(client, f"/samarinda/office/pickup/{smd}",
                          {"who": "family", "nik": make_nik(serial=5102), "kk_number": make_kk(serial=5199)})
    assert "bukan kartu keluarga pemilik" in other_family.get_data(as_text=True)
    family = submit(client, f"/samarinda/office/pickup/{smd}",
                    {"who": "family", "nik": make_nik(serial=5102), "kk_number": kk})
    assert family.status_code == 302
    # Makassar: the owner only.
    client = staff("operator", slug="makassar")
    mks = add_document(app, slug="makassar", registration_no="MKS-5100", status="ready")
    proxy = submit(client, f"/makassar/office/pickup/{mks}",
                   {"who": "proxy", "nik": make_nik(serial=5103), "proxy_name": "X", "letter_no": "1"})
    assert "Hanya pemilik" in proxy.get_data(as_text=True)


def test_returns_desk_takes_back_and_offers_again(app, staff):
    client = staff("operator")
    out = add_document(app, registration_no="BPP-6001", status="with_courier")
    home = add_document(app, registration_no="BPP-6002", status="ready")
    refused = submit(client, "/balikpapan/office/returns", {"registration_no": home, "note": "?"})
    assert "bersama kurir" in refused.get_data(as_text=True)
    back = submit(client, "/balikpapan/office/returns", {"registration_no": out, "note": "Alamat tidak ditemukan"})
    assert back.status_code == 302
    listing = client.get("/balikpapan/office/returns").get_data(as_text=True)
    assert out in listing
    again = submit(client, "/balikpapan/office/returns", {},
                   action=f"/balikpapan/office/returns/{out}/offer-again")
    assert again.status_code == 302
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        statuses = [e.to_status for e in db.session.scalar(
            sa.select(Document).where(Document.registration_no == out)).events]
    assert statuses[-2:] == ["returned", "ready"]


def test_daily_report_shows_the_backlog_by_age(app, staff):
    client = staff("supervisor")
    add_document(app, registration_no="BPP-7001", status="ready")
    old = add_document(app, registration_no="BPP-7002", status="ready")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        stale = db.session.scalar(sa.select(Document).where(Document.registration_no == old))
        stale.ready_at = datetime.now(timezone.utc) - timedelta(days=20)
        db.session.commit()
    html = client.get("/balikpapan/office/report").get_data(as_text=True)
    assert "Asia/Makassar" in html
    assert "belum di tangan warga: 2" in html
    assert "Siap lebih dari 14 hari</th><td>1" in html and "Siap lebih dari 30 hari</th><td>0" in html


def test_daily_report_uses_local_midnight(app):
    from saas.documents.services import daily_report

    number = add_document(app, registration_no="BPP-7101")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        get_tenant("balikpapan")
        document = db.session.scalar(sa.select(Document).where(Document.registration_no == number))
        for hour, minute in ((15, 30), (16, 30)):  # 23:30 WITA on the 1st, 00:30 WITA on the 2nd
            db.session.add(DocumentEvent(document_id=document.id, from_status="received", to_status="ready",
                                         actor_kind="system",
                                         at=datetime(2026, 3, 1, hour, minute, tzinfo=timezone.utc)))
        db.session.commit()
        from datetime import date

        assert daily_report(date(2026, 3, 1))["moved"]["ready"] == 1
        assert daily_report(date(2026, 3, 2))["moved"]["ready"] == 1


def test_roles(app, staff):
    client = staff("operator")
    assert client.get("/balikpapan/office/report").status_code == 403
    assert client.get("/balikpapan/office/staff/").status_code == 403
    assert client.get("/balikpapan/office/settings/").status_code == 403
    client = staff("supervisor")
    assert client.get("/balikpapan/office/report").status_code == 200
    staff_page = client.get("/balikpapan/office/staff/").get_data(as_text=True)
    assert 'value="admin"' not in staff_page and 'value="operator"' in staff_page
    made = submit(client, "/balikpapan/office/staff/", {"name": "Operator Baru", "email": "baru@balikpapan.test",
                                                       "role": "admin", "password": "panjang sekali"})
    assert made.status_code == 200
    with app.app_context():
        from saas.accounts.services import find_user

        assert find_user(get_tenant("balikpapan"), "baru@balikpapan.test") is None
    made = submit(client, "/balikpapan/office/staff/", {"name": "Operator Baru", "email": "baru@balikpapan.test",
                                                       "role": "operator", "password": "panjang sekali"})
    assert made.status_code == 302
    assert client.get("/balikpapan/office/settings/").status_code == 403
    client = staff("admin")
    assert client.get("/balikpapan/office/settings/").status_code == 200


def test_a_nik_written_with_spaces_dots_or_dashes_is_searched_as_a_nik_and_never_enters_a_url(app, staff):
    client = staff("operator")
    nik = make_nik(serial=4323)
    add_document(app, registration_no="BPP-1201", name="Siti Aminah", nik=nik)
    add_document(app, registration_no="BPP-1202", name="Budi Santoso")
    for typed in (f"{nik[:4]}-{nik[4:8]}-{nik[8:12]}-{nik[12:]}", f"{nik[:4]} {nik[4:8]} {nik[8:12]} {nik[12:]}",
                  f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}.{nik[6:12]}.{nik[12:]}", f"NIK {nik}"):
        response = submit(client, "/balikpapan/office/", {"q": typed}, action="/balikpapan/office/search")
        location = response.headers["Location"]
        assert response.status_code == 302 and "q=" not in location and nik[4:12] not in location, location
        page = client.get(location).get_data(as_text=True)
        assert "BPP-1201" in page and "BPP-1202" not in page, typed
        assert f"Dokumen dengan NIK {nik[:4]}**********{nik[-2:]}" in page and nik[4:12] not in page
