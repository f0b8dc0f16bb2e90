"""A citizen's problem report is taken in hand and answered by the office: the citizen reads the
status and the reply on their document page, and receives the reply as a message."""
from __future__ import annotations

import sqlalchemy as sa

from saas.extensions import db
from saas.notifications.models import Notification
from saas.portal.models import ProblemReport
from saas.tenancy.scope import all_tenants
from tests.conftest import submit
from tests.factories import add_document, make_nik
from tests.portal.test_slots_and_courier import _document_id, _open


def _report(app):
    with app.app_context(), all_tenants():
        report = db.session.scalar(sa.select(ProblemReport))
        db.session.expunge_all()
        return report


def _replies(app):
    with app.app_context(), all_tenants():
        rows = db.session.scalars(sa.select(Notification).where(Notification.event == "problem_reply")).all()
        db.session.expunge_all()
        return rows


def test_the_citizen_follows_their_report_from_new_to_the_offices_reply(app, staff):
    nik = make_nik(serial=6601)
    number = add_document(app, registration_no="PR-0001", status="delivered", nik=nik, name="Siti Aminah",
                          phone="081234566601")
    citizen = app.test_client()
    page_url = _open(app, citizen, number, nik)
    document_id = _document_id(app, number)
    assert submit(citizen, page_url, {"kind": "broken_seal", "note": "Segel sobek waktu diterima"},
                  action=f"/balikpapan/dokumen/{document_id}/masalah").status_code == 302
    page = citizen.get(page_url).get_data(as_text=True)
    assert "Laporan masalah Anda" in page and "Baru" in page
    assert "Kantor sudah menerima laporan Anda" in page
    report_id = _report(app).id

    office = staff("operator")
    report_page = f"/balikpapan/office/problems/{report_id}"
    taken = submit(office, report_page, {"to": "in_hand", "text": "Cek dengan kurir Go-Send dulu"},
                   action=f"{report_page}/status")
    assert taken.status_code == 302
    assert "Laporan sedang diproses." in office.get(taken.headers["Location"]).get_data(as_text=True)
    page = citizen.get(page_url).get_data(as_text=True)
    assert "Diproses" in page and "Kantor sedang menangani laporan ini." in page
    assert "Cek dengan kurir" not in page  # the note is for colleagues
    assert _replies(app) == []

    reply = "Kurir sudah kami tegur; dokumen dengan NIK 6471011708900001 tetap sah."
    resolved = submit(office, report_page, {"to": "resolved", "text": reply}, action=f"{report_page}/status")
    assert resolved.status_code == 302
    page = citizen.get(page_url).get_data(as_text=True)
    assert "Selesai" in page and "Balasan dari kantor" in page and "Kurir sudah kami tegur" in page
    assert "6471011708900001" not in page and "6471**********01" in page
    english = citizen.get(page_url + "?lang=en").get_data(as_text=True)
    assert "Your problem reports" in english and "Resolved" in english and "Reply from the office" in english

    report = _report(app)
    assert report.status == "resolved" and report.taken_by_id is not None and report.resolved_by_id is not None
    assert report.taken_at <= report.resolved_at
    messages = _replies(app)
    assert len(messages) == 1
    message = messages[0]
    assert message.recipient == "+6281234566601" and message.template == "antar_problem_reply"
    assert message.status in ("pending", "queued")
    assert "Kurir sudah kami tegur" in message.body and "Segel amplop rusak" in message.body
    assert "6471011708900001" not in message.body and "http" in message.body
    assert "Kurir sudah kami tegur" in " ".join(message.params)

    again = submit(office, report_page, {"to": "resolved", "text": "Sekali lagi"}, action=f"{report_page}/status")
    assert again.status_code == 400
    assert "Laporan ini sudah &#39;Selesai&#39;: tidak bisa menjadi &#39;Selesai&#39;." in again.get_data(as_text=True)
    assert len(_replies(app)) == 1 and "Sekali lagi" not in citizen.get(page_url).get_data(as_text=True)


def test_a_report_can_be_answered_straight_away(app, staff):
    nik = make_nik(serial=6602)
    number = add_document(app, registration_no="PR-0002", status="collected", nik=nik)
    citizen = app.test_client()
    page_url = _open(app, citizen, number, nik)
    document_id = _document_id(app, number)
    submit(citizen, page_url, {"kind": "other"}, action=f"/balikpapan/dokumen/{document_id}/masalah")
    report_id = _report(app).id
    office = staff("operator")
    report_page = f"/balikpapan/office/problems/{report_id}"
    assert submit(office, report_page, {"to": "resolved", "text": "Silakan datang ke loket 3."},
                  action=f"{report_page}/status").status_code == 302
    page = citizen.get(page_url).get_data(as_text=True)
    assert "Selesai" in page and "Silakan datang ke loket 3." in page
    assert len(_replies(app)) == 1
