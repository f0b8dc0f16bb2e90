"""The office and the console speak the user's language: no raw codes, no internal field names,
no words of the other language, and dates and numbers written the Indonesian way in Indonesian."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from saas.couriers.models import Delivery, DeliveryEvent
from saas.documents.desks import RULE_ALLOWS
from saas.documents.models import DOCUMENT_TYPE_LABELS
from saas.documents.services import get_document
from saas.extensions import db
from saas.models import utcnow
from saas.notifications.models import EVENT_LABELS
from saas.portal.models import ProblemReport
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import csrf_token_from, make_user, sign_in, submit
from tests.factories import add_document, make_nik

#: Codes that name things inside Antar: a person reads a label instead.
#: Codes that are also plain English words count only in the Indonesian interface.
ENGLISH_WORDS = {"phone", "booking", "email", "confirmed", "allocated", "callback", "poll", "imported",
                 "discarded", "previewed", "manual"}
RAW_WORDS = (set(DOCUMENT_TYPE_LABELS) | set(RULE_ALLOWS) | (set(EVENT_LABELS) - {"delivered"}) | {
    "office_booking", "citizen_link", "suspend_city", "resume_city", "onboard_city", "sign_in",
    "doc_type", "registration_no", "phone", "kk_number", "imported", "previewed", "discarded",
    "allocated", "confirmed", "callback", "booking", "poll", "gosend", "grab", "manual", "whatsapp", "sms",
    "email", "already_registered", "missing_field", "bad_phone", "unknown_doc_type", "registration_conflict"})
SEPARATORS = re.compile(r"[·()→,:;]")
UNDERSCORED = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
ENGLISH_MONTHS = re.compile(r"\b(January|February|March|May|June|July|August|October|December)\b")


class VisibleText(HTMLParser):
    """The words a person reads: text outside <code>, <pre>, <script> and <style>."""

    HIDDEN = {"code", "pre", "script", "style", "kbd"}

    def __init__(self):
        super().__init__()
        self.depth, self.pieces = 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth and data.strip():
            self.pieces.append(" ".join(data.split()))


def visible(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.pieces


def problems_in(html: str, lang: str) -> list[str]:
    found = []
    for text in visible(html):
        found += [f"code {m!r} in {text!r}" for m in UNDERSCORED.findall(text)]
        found += [f"raw word {piece.strip()!r} in {text!r}" for piece in SEPARATORS.split(text)
                  if piece.strip() in RAW_WORDS and (lang == "id" or piece.strip() not in ENGLISH_WORDS)]
        if lang == "id":
            found += [f"English month in {text!r}" for _ in ENGLISH_MONTHS.findall(text)]
            if re.search(r"\d\.\d+ ?km\b", text):
                found.append(f"decimal point in {text!r}")
            if re.search(r"\bManual\b", text):
                found.append(f"'Manual' in {text!r}")
        else:
            for phrase in ("Kolom ini", "NIK salah", "kolom kosong", "nomor HP salah", "jenis dokumen tidak"):
                if phrase in text:
                    found.append(f"Indonesian {phrase!r} in {text!r}")
    return found


HEADER = "no_registrasi,nik,nama,jenis_dokumen,no_hp,email,no_kk,kecamatan"


def _upload(client, raw: bytes) -> str:
    page = client.get("/balikpapan/office/import")
    response = client.post("/balikpapan/office/import", data={
        "csrf_token": csrf_token_from(page.get_data(as_text=True)), "file": (io.BytesIO(raw), "siak.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _delivery(app, slug: str, provider: str, registration_no: str) -> int:
    """A trip as a courier reported it: booked (confirmed), then a driver (allocated)."""
    with app.app_context():
        tenant = get_tenant(slug)
        with tenant_bound(tenant):
            document = get_document(registration_no)
            now = utcnow()
            delivery = Delivery(tenant_id=tenant.id, provider=provider, mode="office_booking",
                                status="driver_assigned", provider_status="allocated", fee=15000,
                                distance_km=0.8, recipient_name="Siti", recipient_phone="+6281234560001",
                                address="Jl. Sudirman 1", kelurahan="Klandasan Ulu", pickup_code="K7Q2M9",
                                receipt_pin="4821", provider_ref="GK-11-170563", driver_name="Pak Budi",
                                driver_plate="KT 1234 AB", seal_number="SEAL-0001", handed_over_at=now)
            db.session.add(delivery)
            db.session.flush()
            document.delivery_id = delivery.id
            for status, provider_status, source, minutes in (("booked", "confirmed", "booking", 0),
                                                             ("driver_assigned", "allocated", "callback", 5)):
                db.session.add(DeliveryEvent(tenant_id=tenant.id, delivery_id=delivery.id, status=status,
                                             provider_status=provider_status, source=source,
                                             at=now + timedelta(minutes=minutes)))
            db.session.add(ProblemReport(tenant_id=tenant.id, document_id=document.id, delivery_id=delivery.id,
                                         kind="broken_seal", note="Segel sobek"))
            db.session.commit()
            return delivery.id


@pytest.fixture
def seeded(app, staff):
    office = staff("admin")
    existing = add_document(app, registration_no="BPP-7001", status="ready", name="Ani Lestari")
    batch = _upload(office, (HEADER + "\n" + "\n".join([
        f"BPP-7101,{make_nik(serial=101)},Siti Aminah,ktp_el,081234567801,,,",
        f"BPP-7102,{make_nik(serial=102)},Tipe Aneh,paspor,081234567802,,,",
        f"BPP-7103,{make_nik(serial=103)},Telepon Rumah,ktp_el,0542873990,,,",
        "BPP-7104,,Tanpa NIK,ktp_el,081234567804,,,",
    ]) + "\n").encode())
    page = office.get(batch)
    office.post(batch + "/confirm", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    preview = _upload(office, (HEADER + f"\nBPP-7105,{make_nik(serial=105)},Baru,kk,081234567805,,,\n"
                                        f"BPP-7106,,Kosong,ktp_el,,,,\n").encode())
    balikpapan_trip = _delivery(app, "balikpapan", "gosend", existing)
    collected = add_document(app, registration_no="BPP-7002", status="collected")
    pos_document = add_document(app, slug="makassar", registration_no="MKS-0001", status="ready",
                                nik=make_nik(region="737101", serial=7))
    pos_trip = _delivery(app, "makassar", "manual", pos_document)
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        problem = db.session.scalar(db.select(ProblemReport.id).where(ProblemReport.delivery_id == balikpapan_trip))
    subject_request = submit(office, "/balikpapan/office/privacy/", {
        "nik": make_nik(serial=101), "kind": "withdraw", "reason": "Surat permohonan 1/2026"}).headers["Location"]
    return {"office": office, "batch": batch, "preview": preview, "document": existing,
            "trip": balikpapan_trip, "pos_trip": pos_trip, "problem": problem, "collected": collected,
            "subject_request": subject_request}


def _pages(seeded) -> list[str]:
    return ["/balikpapan/office/", "/balikpapan/office/import", seeded["batch"], seeded["preview"],
            "/balikpapan/office/deliveries?show=all", f"/balikpapan/office/deliveries/{seeded['trip']}",
            f"/balikpapan/office/documents/{seeded['document']}", "/balikpapan/office/problems",
            "/balikpapan/office/problems?status=all", f"/balikpapan/office/problems/{seeded['problem']}",
            "/balikpapan/office/settings/", "/balikpapan/office/messages/templates",
            "/balikpapan/office/report", "/balikpapan/office/pickup", "/balikpapan/office/returns",
            "/balikpapan/office/staff/", "/balikpapan/office/access-log/", "/balikpapan/office/messages/",
            "/balikpapan/office/bookings", "/balikpapan/office/handover",
            f"/balikpapan/office/deliveries/{seeded['trip']}/handover-record",
            f"/balikpapan/office/deliveries/{seeded['trip']}/handover-record?paper=80mm",
            f"/balikpapan/office/documents/{seeded['collected']}/pickup-receipt", "/balikpapan/office/handovers",
            "/balikpapan/office/privacy/", seeded["subject_request"]]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_office_pages_show_no_raw_code_in_either_language(app, client, seeded, lang):
    office = seeded["office"]
    found = {}
    for url in _pages(seeded):
        response = office.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
        assert response.status_code == 200, url
        if problems := problems_in(response.get_data(as_text=True), lang):
            found[url] = problems
    pos = app.test_client()
    make_user(app, "makassar", "admin", "admin@makassar.test")
    sign_in(pos, "makassar", "admin@makassar.test")
    for url in ("/makassar/office/deliveries?show=all", f"/makassar/office/deliveries/{seeded['pos_trip']}"):
        html = pos.get(url + f"&lang={lang}" if "?" in url else url + f"?lang={lang}").get_data(as_text=True)
        assert "PT Pos Indonesia" in html, url
        if problems := problems_in(html, lang):
            found[url] = problems
    assert not found, found


@pytest.mark.parametrize("lang", ["id", "en"])
def test_console_pages_show_no_raw_code_in_either_language(app, client, lang):
    make_user(app, None, "superadmin", "root@antar.test")
    sign_in(client, None, "root@antar.test")
    submit(client, "/admin/cities/makassar", {"action": "suspend", "reason": "Audit keuangan", "confirm": "y"})
    submit(client, "/admin/cities/makassar", {"action": "resume"})
    client.get(f"/admin/?lang={lang}")
    found = {}
    for url in ("/admin/", "/admin/cities/makassar", "/admin/compare", "/admin/cities/new", "/admin/jobs",
                "/admin/audit"):
        response = client.get(url)
        assert response.status_code == 200, url
        if problems := problems_in(response.get_data(as_text=True), lang):
            found[url] = problems
    refused = submit(client, "/admin/cities/new", {"slug": "X", "primary_color": "green"})
    if problems := problems_in(refused.get_data(as_text=True), lang):
        found["onboarding errors"] = problems
    if lang == "id":
        assert "Kolom ini wajib diisi" in refused.get_data(as_text=True)
        assert ">Kepada<" not in client.get("/admin/compare").get_data(as_text=True)
    assert not found, found


def test_import_details_name_the_columns_as_the_office_reads_them(app, seeded):
    office = seeded["office"]
    indonesian = office.get(seeded["batch"] + "?lang=id").get_data(as_text=True)
    assert "Jenis dokumen: Jenis dokumen tidak dikenal" in indonesian
    assert "Nomor HP:" in indonesian
    english = office.get(seeded["batch"] + "?lang=en").get_data(as_text=True)
    assert "Document type: Unknown document type" in english
    assert "bad phone" in english


def test_indonesian_numbers_and_dates_in_the_office(app, seeded):
    office = seeded["office"]
    html = office.get(f"/balikpapan/office/deliveries/{seeded['trip']}?lang=id").get_data(as_text=True)
    assert "Rp15.000" in html and "0,8 km" in html
    english = office.get(f"/balikpapan/office/deliveries/{seeded['trip']}?lang=en").get_data(as_text=True)
    assert "Rp15,000" in english and "0.8 km" in english
