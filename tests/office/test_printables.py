"""The papers an office prints and signs: the handover record (Berita Acara Serah Terima) with the
courier's driver, the pickup receipt at the desk, and the day's list of handovers for the supervisor."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_datetime

from saas.couriers import services as courier_services
from saas.couriers.models import Delivery
from saas.documents.lifecycle import Actor
from saas.documents.links import document_token
from saas.documents.models import Document, DocumentEvent
from saas.documents.services import get_document
from saas.extensions import db
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import make_user, sign_in, submit
from tests.factories import add_document, make_nik

WORKING_HOUR = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)  # 10.00 WIB, 11.00 WITA, a Wednesday
ADDRESSES = {
    "surabaya": courier_services.Destination("Dewi Lestari", "+6281234560003", "Jl. Darmo No. 40", "35.78.04",
                                             "Darmo", -7.2900, 112.7380, ""),
    "samarinda": courier_services.Destination("Nur", "+6281234560005", "Jl. Juanda No. 3", "64.72.03", "Air Putih",
                                              -0.4800, 117.1500, ""),
}
FOREIGN_ASSET = re.compile(r'(?:src|href)="(?:https?:)?//', re.IGNORECASE)


def _trip(app, slug: str, numbers: list[str]) -> tuple[int, str]:
    """A citizen's courier request for ready documents, with the city's own (manual) courier."""
    with app.app_context(), tenant_bound(get_tenant(slug)):
        documents = [get_document(n) for n in numbers]
        quoted = courier_services.quote(ADDRESSES[slug], "manual")
        delivery = courier_services.request_delivery(documents, ADDRESSES[slug], "manual", quoted,
                                                     Actor.citizen(), now=WORKING_HOUR)
        db.session.commit()
        return delivery.id, delivery.pickup_code


def _hand_over(client, slug: str, code: str, seal: str, driver: str, plate: str) -> None:
    """The desk records the seal, the driver and the plate, as an officer does."""
    done = submit(client, f"/{slug}/office/handover/{code}",
                  {"seal_number": seal, "driver_name": driver, "driver_plate": plate})
    assert done.status_code == 302, done.get_data(as_text=True)


def _signed_in(app, slug: str, role: str = "operator"):
    """A browser of its own, signed in to ``slug``'s office."""
    client = app.test_client()
    make_user(app, slug, role, f"{role}.own@{slug}.test")
    assert sign_in(client, slug, f"{role}.own@{slug}.test").status_code == 302
    return client


def _handed_over_at(app, slug: str, delivery_id: int, moment: datetime) -> None:
    """The handover happened at ``moment`` (a test cannot wait for the day it needs)."""
    with app.app_context(), tenant_bound(get_tenant(slug)):
        db.session.get(Delivery, delivery_id).handed_over_at = moment
        db.session.commit()


def test_the_handover_record_shows_seal_driver_plate_and_documents_with_masked_niks(app, staff):
    niks = [make_nik(region="357804", serial=801), make_nik(region="357804", serial=802)]
    numbers = [add_document(app, slug="surabaya", registration_no="SBY-8001", status="ready", nik=niks[0],
                            name="Dewi Lestari"),
               add_document(app, slug="surabaya", registration_no="SBY-8002", status="ready", nik=niks[1],
                            name="Bagus Pratama", doc_type="kia")]
    delivery_id, code = _trip(app, "surabaya", numbers)
    office = staff("operator", slug="surabaya")
    url = f"/surabaya/office/deliveries/{delivery_id}/handover-record"

    # Before the driver has the envelope there is nothing to sign.
    early = office.get(url)
    assert early.status_code == 302 and early.headers["Location"].endswith(f"/deliveries/{delivery_id}")
    assert "belum diserahkan" in office.get(early.headers["Location"]).get_data(as_text=True)
    assert url not in office.get(f"/surabaya/office/deliveries/{delivery_id}").get_data(as_text=True)

    _hand_over(office, "surabaya", code, "SBY-SEAL-0077", "Kurir Pos Agus", "l 1234 xy")
    desk = office.get("/surabaya/office/handover?handed=%d" % delivery_id).get_data(as_text=True)
    assert url in desk  # straight from the desk, once the envelope has left
    assert url in office.get(f"/surabaya/office/deliveries/{delivery_id}").get_data(as_text=True)
    assert url in office.get("/surabaya/office/documents/SBY-8001").get_data(as_text=True)
    _handed_over_at(app, "surabaya", delivery_id, datetime(2026, 11, 25, 2, 15, tzinfo=timezone.utc))

    response = office.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Berita Acara Serah Terima" in page
    assert f"BAST-20261125-{delivery_id}" in page
    assert "Dispendukcapil Kota Surabaya" in page
    assert "Rabu, 25 November 2026, pukul 09.15 WIB" in page  # the city's time, the Indonesian way
    assert "SBY-SEAL-0077" in page and "Kurir Pos Agus" in page and "L 1234 XY" in page
    assert "PT Pos Indonesia" in page  # the courier by name, never its code
    assert "operator of surabaya" in page  # the officer who handed it over
    assert "SBY-8001" in page and "SBY-8002" in page and "Dewi Lestari" in page and "Bagus Pratama" in page
    assert "KTP-el" in page and "KIA (kartu identitas anak)" in page
    for nik in niks:
        assert nik not in page
        assert f"{nik[:4]}**********{nik[-2:]}" in page
    assert page.count('class="signature"') == 2
    assert 'class="print-page paper-a4"' in page and "data-print" in page
    assert not FOREIGN_ASSET.search(page)

    roll = office.get(url + "?paper=80mm").get_data(as_text=True)
    assert 'class="print-page paper-80mm"' in roll and "SBY-SEAL-0077" in roll
    assert f'href="{url}"' in roll  # back to A4 in one click
    assert office.get(url + "?paper=A3").get_data(as_text=True).count("paper-a4") == 1


def test_the_papers_print_on_a4_and_on_an_80mm_roll_from_this_host_only(app, client):
    css = client.get("/static/css/print.css").get_data(as_text=True)
    assert "@media print" in css and "size: A4" in css and "size: 80mm" in css and ".paper-80mm" in css
    assert "//" not in re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    script = client.get("/static/js/print.js").get_data(as_text=True)
    assert "window.print()" in script


def test_the_papers_are_for_the_citys_staff_only(app, client, staff):
    numbers = [add_document(app, slug="surabaya", registration_no="SBY-8101", status="ready")]
    delivery_id, code = _trip(app, "surabaya", numbers)
    owner_nik = make_nik(serial=8201)
    collected = add_document(app, registration_no="BPP-8201", status="ready", nik=owner_nik)
    surabaya = _signed_in(app, "surabaya")
    _hand_over(surabaya, "surabaya", code, "SBY-SEAL-1", "Agus", "L 1 A")
    record = f"/surabaya/office/deliveries/{delivery_id}/handover-record"
    assert surabaya.get(record).status_code == 200

    balikpapan = staff("operator")
    assert submit(balikpapan, f"/balikpapan/office/pickup/{collected}", {"who": "owner", "nik": owner_nik}
                  ).status_code == 302
    receipt = f"/balikpapan/office/documents/{collected}/pickup-receipt"
    assert balikpapan.get(receipt).status_code == 200
    # Another city's delivery or document, even by its own number: not found.
    assert balikpapan.get(f"/balikpapan/office/deliveries/{delivery_id}/handover-record").status_code == 404
    assert surabaya.get(f"/surabaya/office/documents/{collected}/pickup-receipt").status_code == 404

    # Nobody signed in, or a citizen holding their own document link: sent to the staff sign-in.
    anonymous = app.test_client()
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        token = document_token(get_document(collected))
    citizen = app.test_client()
    opened = citizen.get(f"/balikpapan/d/{token}")
    assert opened.status_code == 302 and citizen.get(opened.headers["Location"]).status_code == 200
    for visitor in (anonymous, citizen):
        for url in (record, receipt, "/surabaya/office/handovers", "/balikpapan/office/handovers"):
            response = visitor.get(url)
            assert response.status_code == 302 and "/office/login" in response.headers["Location"], url
            assert "SBY-SEAL-1" not in response.get_data(as_text=True)


def test_the_pickup_receipt_names_who_collected_when_and_the_officer(app, staff):
    owner_nik, proxy_nik = make_nik(serial=8301), make_nik(serial=8302)
    number = add_document(app, registration_no="BPP-8301", status="ready", nik=owner_nik, name="Siti Aminah")
    office = staff("operator")
    receipt = f"/balikpapan/office/documents/{number}/pickup-receipt"
    early = office.get(receipt)
    assert early.status_code == 302 and early.headers["Location"].endswith(f"/documents/{number}")
    assert receipt not in office.get(f"/balikpapan/office/documents/{number}").get_data(as_text=True)

    collected = submit(office, f"/balikpapan/office/pickup/{number}",
                       {"who": "proxy", "nik": proxy_nik, "proxy_name": "Rahmat Hidayat", "letter_no": "SK-17/2026"})
    assert collected.status_code == 302
    assert receipt in office.get(collected.headers["Location"]).get_data(as_text=True)  # from the desk
    assert receipt in office.get(f"/balikpapan/office/documents/{number}").get_data(as_text=True)

    page = office.get(receipt).get_data(as_text=True)
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        event = db.session.scalar(sa.select(DocumentEvent).join(Document, Document.id == DocumentEvent.document_id)
                                  .where(Document.registration_no == number, DocumentEvent.to_status == "collected"))
        at, event_id = event.at, event.id
    local = at.astimezone(ZoneInfo("Asia/Makassar"))
    day = format_datetime(at, "EEEE, d MMMM y", tzinfo=ZoneInfo("Asia/Makassar"), locale="id")
    assert f"{day}, pukul {local:%H.%M} WITA" in page
    assert f"TTP-{local:%Y%m%d}-{event_id}" in page
    assert "Tanda Terima Pengambilan" in page and "Disdukcapil Kota Balikpapan" in page
    assert "Rahmat Hidayat" in page and "SK-17/2026" in page and "Siti Aminah" in page
    assert "operator of balikpapan" in page
    assert owner_nik not in page and proxy_nik not in page
    assert f"{owner_nik[:4]}**********{owner_nik[-2:]}" in page and f"{proxy_nik[:4]}**********{proxy_nik[-2:]}" in page
    assert page.count('class="signature"') == 2
    assert not FOREIGN_ASSET.search(page)
    assert 'class="print-page paper-80mm"' in office.get(receipt + "?paper=80mm").get_data(as_text=True)


def test_the_day_list_holds_that_days_handovers_in_the_citys_time_only(app, staff):
    office = staff("operator", slug="surabaya")
    moments = {  # seal → when the driver took the envelope (UTC); Surabaya is UTC+7 (WIB)
        "SEAL-A": datetime(2026, 11, 24, 16, 59, tzinfo=timezone.utc),  # 24 Nov, 23.59 WIB
        "SEAL-B": datetime(2026, 11, 24, 17, 0, tzinfo=timezone.utc),  # 25 Nov, 00.00 WIB
        "SEAL-C": datetime(2026, 11, 25, 16, 30, tzinfo=timezone.utc),  # 25 Nov, 23.30 WIB
        "SEAL-D": datetime(2026, 11, 25, 17, 5, tzinfo=timezone.utc),  # 26 Nov, 00.05 WIB
    }
    for n, (seal, moment) in enumerate(moments.items()):
        number = add_document(app, slug="surabaya", registration_no=f"SBY-840{n}", status="ready")
        delivery_id, code = _trip(app, "surabaya", [number])
        _hand_over(office, "surabaya", code, seal, f"Sopir {seal[-1]}", f"L {n}00 AB")
        _handed_over_at(app, "surabaya", delivery_id, moment)
    number = add_document(app, slug="surabaya", registration_no="SBY-8499", status="ready")
    _today_id, code = _trip(app, "surabaya", [number])
    _hand_over(office, "surabaya", code, "SEAL-TODAY", "Sopir Hari Ini", "L 9 Z")
    # Samarinda's envelope left the same morning: not Surabaya's to sign.
    samarinda_number = add_document(app, slug="samarinda", registration_no="SMD-8401", status="ready")
    samarinda_id, samarinda_code = _trip(app, "samarinda", [samarinda_number])
    _hand_over(_signed_in(app, "samarinda"), "samarinda", samarinda_code, "SEAL-SMD", "Sopir Samarinda", "KT 1")
    _handed_over_at(app, "samarinda", samarinda_id, datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc))

    office = staff("supervisor", slug="surabaya")
    page = office.get("/surabaya/office/handovers?day=2026-11-25").get_data(as_text=True)
    assert "Rabu, 25 November 2026" in page
    assert "SEAL-B" in page and "SEAL-C" in page and "Sopir B" in page and "L 100 AB" in page
    assert "SEAL-A" not in page and "SEAL-D" not in page and "SEAL-TODAY" not in page and "SEAL-SMD" not in page
    assert page.index("SEAL-B") < page.index("SEAL-C")  # in the order they left
    assert re.search(r">00\.00<", page) and re.search(r">23\.30<", page)
    assert "SBY-8401" in page and "SBY-8402" in page
    assert "Diperiksa oleh supervisor" in page and "PT Pos Indonesia" in page
    assert "Dispendukcapil Kota Surabaya" in page and not FOREIGN_ASSET.search(page)

    today = office.get("/surabaya/office/handovers").get_data(as_text=True)
    assert "SEAL-TODAY" in today and "SEAL-B" not in today
    assert "SEAL-D" in office.get("/surabaya/office/handovers?day=2026-11-26&paper=80mm").get_data(as_text=True)
    empty = office.get("/surabaya/office/handovers?day=2026-11-20").get_data(as_text=True)
    assert "Tidak ada amplop" in empty

    refused = office.get("/surabaya/office/handovers?day=25-11-2026")
    assert refused.status_code == 400 and "Tanggal tidak valid" in refused.get_data(as_text=True)

    # The office menu leads to the list, and the desk points to it.
    assert 'href="/surabaya/office/handovers"' in office.get("/surabaya/office/handover").get_data(as_text=True)
    assert 'href="/surabaya/office/handovers"' in office.get("/surabaya/office/").get_data(as_text=True)
