"""The office works citizens' problem reports: new first, in hand, resolved with a reply; bad input
changes nothing and says why; the citizen's phone is shown for a reason, logged, on the problem and
delivery pages as on the document page."""
from __future__ import annotations

import sqlalchemy as sa

from saas.accounts.models import StaffAccessLog
from saas.couriers.models import Delivery
from saas.documents.services import get_document
from saas.extensions import db
from saas.models import utcnow
from saas.notifications.models import Notification
from saas.portal.models import ProblemReport
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import csrf_token_from, submit
from tests.factories import add_document, make_nik


def _report(app, number: str, slug: str = "balikpapan", *, status: str = "new", note: str = "Segel sobek",
            delivery: bool = True) -> int:
    """A report on the document, as the portal leaves it (optionally after a courier trip)."""
    with app.app_context():
        tenant = get_tenant(slug)
        with tenant_bound(tenant):
            document = get_document(number)
            trip = None
            if delivery:
                trip = Delivery(tenant_id=tenant.id, provider="gosend", mode="office_booking", status="delivered",
                                pickup_code=f"P{number[-5:]}", receipt_pin="1234", seal_number="BPN-SEAL-0042",
                                recipient_name="Siti", recipient_phone="+6281234560099")
                db.session.add(trip)
                db.session.flush()
                document.delivery_id = trip.id
            report = ProblemReport(tenant_id=tenant.id, document_id=document.id,
                                   delivery_id=trip.id if trip else None, kind="broken_seal", note=note,
                                   status=status)
            if status == "resolved":
                report.resolved_at, report.resolution = utcnow(), "Sudah dijelaskan"
            db.session.add(report)
            db.session.commit()
            return report.id


def _state(app, report_id: int) -> tuple:
    with app.app_context(), all_tenants():
        report = db.session.get(ProblemReport, report_id)
        return report.status, report.taken_at, report.resolved_at, report.resolution


def _messages(app) -> int:
    with app.app_context(), all_tenants():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                 .where(Notification.event == "problem_reply"))


def _reveals(app) -> list[tuple[str, str]]:
    with app.app_context(), all_tenants():
        return [(line.subject, line.reason) for line in db.session.scalars(
            sa.select(StaffAccessLog).where(StaffAccessLog.action == "reveal_phone").order_by(StaffAccessLog.id))]


def test_the_list_puts_new_reports_first_and_filters_by_status(app, staff):
    office = staff("operator")
    numbers = {status: add_document(app, registration_no=f"PL-{status.replace('_', '').upper()}", status="delivered")
               for status in ("in_hand", "new", "resolved")}
    for status, number in numbers.items():
        _report(app, number, status=status, note=f"catatan {status}", delivery=False)
    page = office.get("/balikpapan/office/problems").get_data(as_text=True)
    assert page.index("PL-NEW") < page.index("PL-INHAND") and "PL-RESOLVED" not in page
    assert "Baru" in page and "Diproses" in page
    resolved = office.get("/balikpapan/office/problems?status=resolved").get_data(as_text=True)
    assert "PL-RESOLVED" in resolved and "PL-NEW" not in resolved and "PL-INHAND" not in resolved
    new = office.get("/balikpapan/office/problems?status=new").get_data(as_text=True)
    assert "PL-NEW" in new and "PL-INHAND" not in new
    everything = office.get("/balikpapan/office/problems?status=all").get_data(as_text=True)
    assert everything.index("PL-NEW") < everything.index("PL-INHAND") < everything.index("PL-RESOLVED")
    unknown = office.get("/balikpapan/office/problems?status=closed")
    assert unknown.status_code == 400
    assert "Daftar laporan itu tidak ada" in unknown.get_data(as_text=True)


def test_resolving_needs_a_reply_and_an_unknown_status_is_refused(app, staff):
    office = staff("operator")
    number = add_document(app, registration_no="PB-0001", status="delivered")
    report_id = _report(app, number)
    page = f"/balikpapan/office/problems/{report_id}"
    before = _state(app, report_id)
    empty = submit(office, page, {"to": "resolved", "text": "   "}, action=f"{page}/status")
    assert empty.status_code == 400
    assert "Tulis balasan untuk warga" in empty.get_data(as_text=True)
    unknown = submit(office, page, {"to": "closed", "text": "Selesai"}, action=f"{page}/status")
    assert unknown.status_code == 400
    assert "Status laporan itu tidak ada" in unknown.get_data(as_text=True)
    missing = submit(office, page, {"text": "Selesai"}, action=f"{page}/status")
    assert missing.status_code == 400 and "Pilih Diproses atau Selesai." in missing.get_data(as_text=True)
    too_long = submit(office, page, {"to": "resolved", "text": "x" * 501}, action=f"{page}/status")
    assert too_long.status_code == 400 and "Paling banyak 500 karakter." in too_long.get_data(as_text=True)
    assert _state(app, report_id) == before and _messages(app) == 0


def test_another_citys_report_is_not_found_and_stays_untouched(app, staff):
    office = staff("operator")
    other = add_document(app, slug="samarinda", registration_no="SMD-0001", status="delivered",
                         nik=make_nik(region="647203", serial=11))
    report_id = _report(app, other, slug="samarinda", delivery=False)
    token = csrf_token_from(office.get("/balikpapan/office/problems").get_data(as_text=True))
    before = _state(app, report_id)
    for action, data in ((f"/balikpapan/office/problems/{report_id}/status", {"to": "resolved", "text": "Beres"}),
                         (f"/balikpapan/office/problems/{report_id}/phone", {"reason": "Mau menelepon warga"})):
        refused = office.post(action, data={"csrf_token": token, **data}, follow_redirects=True)
        assert "Kota ini tidak punya laporan masalah dengan nomor itu." in refused.get_data(as_text=True)
    shown = office.get(f"/balikpapan/office/problems/{report_id}", follow_redirects=True).get_data(as_text=True)
    assert "Kota ini tidak punya laporan masalah dengan nomor itu." in shown and "SMD-0001" not in shown
    assert _state(app, report_id) == before and _messages(app) == 0 and _reveals(app) == []


def test_the_phone_is_revealed_for_a_reason_on_the_problem_page_and_logged(app, staff):
    office = staff("operator")
    number = add_document(app, registration_no="PB-0002", status="delivered", phone="081234560057")
    report_id = _report(app, number)
    page = f"/balikpapan/office/problems/{report_id}"
    html = office.get(page).get_data(as_text=True)
    assert "+6281234560057" not in html and "0057" in html and "tel:" not in html
    token = csrf_token_from(html)
    no_reason = office.post(f"{page}/phone", data={"csrf_token": token})
    assert no_reason.status_code == 400 and "+6281234560057" not in no_reason.get_data(as_text=True)
    assert _reveals(app) == []
    shown = office.post(f"{page}/phone", data={"csrf_token": token, "reason": "Konfirmasi segel rusak"})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert 'href="tel:+6281234560057"' in html and 'href="https://wa.me/6281234560057"' in html
    assert _reveals(app) == [(number, "Konfirmasi segel rusak")]


def test_the_recipients_phone_is_revealed_for_a_reason_on_the_delivery_page_and_logged(app, staff):
    office = staff("operator")
    number = add_document(app, registration_no="PB-0003", status="delivered", phone="081234560058")
    _report(app, number)
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        delivery_id = get_document(number).delivery_id
    page = f"/balikpapan/office/deliveries/{delivery_id}"
    html = office.get(page).get_data(as_text=True)
    assert "+6281234560099" not in html and "0099" in html and "tel:" not in html
    token = csrf_token_from(html)
    no_reason = office.post(f"{page}/phone", data={"csrf_token": token, "reason": ""})
    assert no_reason.status_code == 400 and "+6281234560099" not in no_reason.get_data(as_text=True)
    assert "alasannya dicatat di log akses" in no_reason.get_data(as_text=True)
    assert _reveals(app) == []
    shown = office.post(f"{page}/phone", data={"csrf_token": token, "reason": "Kurir tidak menemukan alamat"})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert 'href="tel:+6281234560099"' in html and 'href="https://wa.me/6281234560099"' in html
    assert _reveals(app) == [(str(delivery_id), "Kurir tidak menemukan alamat")]
