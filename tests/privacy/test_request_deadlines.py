"""A data-subject request has 3 × 24 hours (UU No. 27/2022): logged when it came in, shown to the
office with its due time in the city's time and what is left, overdue ones marked, closed by what
answers it; another city's office never sees it; the supervisors' digest names those falling due."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_datetime

from saas.extensions import db
from saas.models import utcnow
from saas.notifications.services import digest_summary
from saas.privacy import services
from saas.privacy.models import SubjectRequest
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import make_user, sign_in, submit
from tests.privacy.test_subject_requests import PAGE, _snapshot, carry_out, log_request

WITA = ZoneInfo("Asia/Makassar")


def _requests(app):
    with app.app_context(), all_tenants():
        return db.session.scalars(sa.select(SubjectRequest).order_by(SubjectRequest.id)).all()


def _open_rows(html: str) -> str:
    return html.split("Permintaan terbuka", 1)[1].split("Catat permintaan", 1)[0]


def test_a_logged_request_is_due_72_hours_after_its_receipt_in_the_citys_time(app, staff, citizens):
    subject = citizens[0]
    client = staff("supervisor")
    received = (utcnow() - timedelta(hours=5)).astimezone(WITA).replace(second=0, microsecond=0, tzinfo=None)
    logged = submit(client, PAGE, {"nik": subject.nik, "kind": "correct", "reason": "Surat 14/2026, KTP dicek",
                                   "received_at": received.strftime("%Y-%m-%dT%H:%M")})
    assert logged.status_code == 302
    [request] = _requests(app)
    due = received.replace(tzinfo=WITA) + timedelta(hours=72)
    assert (request.status, request.received_at, request.due_at) == ("open", received.replace(tzinfo=WITA), due)
    assert request.nik_masked == subject.nik[:4] + "**********" + subject.nik[-2:]

    listed = client.get(PAGE).get_data(as_text=True)
    rows = _open_rows(listed)
    assert format_datetime(due, "d MMM y HH.mm", tzinfo=WITA, locale="id") in rows
    assert "Perbaikan data" in rows and request.nik_masked in rows and "WITA" in listed
    assert re.search(r"sisa 6[67] jam \d+ menit", rows) and "Terlambat" not in rows
    assert subject.nik not in listed
    page = client.get(logged.headers["Location"]).get_data(as_text=True)
    assert format_datetime(due, "d MMMM y, HH.mm", tzinfo=WITA, locale="id") + " WITA" in page
    assert subject.nik not in page


def test_time_left_reads_in_indonesian_hours_and_minutes(app, citizens):
    user_id = make_user(app, "balikpapan", "supervisor", "kepala@balikpapan.test")
    now = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
    with app.test_request_context("/balikpapan/"), tenant_bound(get_tenant("balikpapan")):
        user = _user(user_id)
        request = services.log_request("export", citizens[0].nik, "Surat 1/2026", user,
                                       received_at=now - timedelta(hours=30, minutes=55), now=now)
        assert services.time_left(request, now) == "sisa 41 jam 5 menit"
        assert services.time_left(request, now + timedelta(hours=44)) == "terlambat 2 jam 55 menit"
        db.session.rollback()


def _user(user_id):
    from saas.accounts.models import User

    return db.session.get(User, user_id)


def test_overdue_requests_come_first_and_are_marked(app, staff, citizens):
    subject, neighbour = citizens[0], citizens[1]
    client = staff("supervisor")
    recent = (utcnow() - timedelta(hours=1)).astimezone(WITA).strftime("%Y-%m-%dT%H:%M")
    late = (utcnow() - timedelta(days=4)).astimezone(WITA).strftime("%Y-%m-%dT%H:%M")
    for nik, when in ((subject.nik, recent), (neighbour.nik, late)):
        assert submit(client, PAGE, {"nik": nik, "kind": "export", "reason": "Permohonan tertulis",
                                     "received_at": when}).status_code == 302
    rows = _open_rows(client.get(PAGE).get_data(as_text=True))
    assert rows.index("Terlambat") < rows.index("sisa ")  # the most urgent first
    assert rows.count("Terlambat") == 1 and re.search(r"terlambat 2[34] jam \d+ menit", rows)


def test_carrying_out_the_erasure_closes_the_request(app, staff, citizens):
    subject = citizens[0]
    client = staff("supervisor")
    request_page = log_request(client, subject.nik, "erase", "Permintaan warga 9/2026")
    assert "Hapus dan tutup permintaan" in client.get(request_page).get_data(as_text=True)
    done = carry_out(client, request_page, {"nik": subject.nik, "confirm": "y"})
    assert done.status_code == 302
    [request] = _requests(app)
    assert (request.status, request.handled_by.email) == ("done", "supervisor@balikpapan.test")
    assert request.handled_at is not None and request.summary["deliveries_erased"] == 1
    listed = client.get(PAGE).get_data(as_text=True)
    assert "Tidak ada permintaan terbuka." in listed and "Selesai" in listed
    again = carry_out(client, request_page, {"nik": subject.nik, "confirm": "y"})
    assert again.status_code == 400 and "sudah ditutup" in again.get_data(as_text=True)


def test_a_correction_is_closed_done_or_a_request_refused_with_its_reason(app, staff, citizens):
    subject = citizens[0]
    client = staff("supervisor")
    correction = log_request(client, subject.nik, "correct", "Nomor HP salah, surat 3/2026")
    refusal = log_request(client, subject.nik, "export", "Permohonan lewat telepon")
    empty = submit(client, correction, {"outcome": ""}, action=correction + "/done")
    assert empty.status_code == 400 and "Tuliskan apa yang dilakukan" in empty.get_data(as_text=True)
    assert [r.status for r in _requests(app)] == ["open", "open"]
    assert submit(client, correction, {"outcome": "Nomor HP diperbaiki di dokumen"},
                  action=correction + "/done").status_code == 302
    assert submit(client, refusal, {"outcome": "Identitas pemohon tidak dapat diperiksa"},
                  action=refusal + "/refused").status_code == 302
    assert [(r.status, r.outcome) for r in _requests(app)] == [
        ("done", "Nomor HP diperbaiki di dokumen"), ("refused", "Identitas pemohon tidak dapat diperiksa")]
    listed = client.get(PAGE).get_data(as_text=True)
    assert "Ditolak: Identitas pemohon tidak dapat diperiksa" in listed


def test_bad_input_changes_nothing(app, staff, citizens):
    subject, neighbour = citizens[0], citizens[1]
    client = staff("supervisor")
    future = (utcnow() + timedelta(days=1)).astimezone(WITA).strftime("%Y-%m-%dT%H:%M")
    ahead = submit(client, PAGE, {"nik": subject.nik, "kind": "erase", "reason": "Surat 5/2026",
                                  "received_at": future})
    assert ahead.status_code == 400 and "di masa depan" in ahead.get_data(as_text=True)
    garbled = submit(client, PAGE, {"nik": subject.nik, "kind": "erase", "reason": "Surat 5/2026",
                                    "received_at": "kemarin sore"})
    assert garbled.status_code == 400 and "Bukan tanggal dan waktu yang sah" in garbled.get_data(as_text=True)
    odd_kind = submit(client, PAGE, {"nik": subject.nik, "kind": "sell", "reason": "Surat 5/2026"})
    assert odd_kind.status_code == 400
    assert _requests(app) == []

    request_page = log_request(client, subject.nik, "erase", "Surat 5/2026")
    wrong = carry_out(client, request_page, {"nik": neighbour.nik, "confirm": "y"})
    assert wrong.status_code == 400 and "bukan NIK permintaan ini" in wrong.get_data(as_text=True)
    assert neighbour.nik not in wrong.get_data(as_text=True)
    assert _snapshot(app, "balikpapan", neighbour.numbers[0])["address"] == "Jl. Melati No. 7201, RT 04"
    assert _snapshot(app, "balikpapan", subject.numbers[0])["address"] == "Jl. Melati No. 7101, RT 04"
    no_token = client.post(request_page + "/refused", data={"outcome": "tanpa token sama sekali"})
    assert no_token.status_code == 400
    assert [r.status for r in _requests(app)] == ["open"]


def test_another_citys_office_cannot_see_or_act_on_a_request(app, staff, citizens):
    subject = citizens[0]
    request_page = log_request(staff("supervisor"), subject.nik, "erase", "Surat 6/2026")
    request_id = request_page.rsplit("/", 1)[1]
    make_user(app, "samarinda", "supervisor", "supervisor@samarinda.test")
    other = app.test_client()
    assert sign_in(other, "samarinda", "supervisor@samarinda.test").status_code == 302
    theirs = f"/samarinda/office/privacy/{request_id}"
    assert other.get(theirs).status_code == 404
    own_page = other.get("/samarinda/office/privacy/").get_data(as_text=True)
    assert subject.nik[:4] + "**********" not in own_page
    for action, data in (("/carry-out", {"nik": subject.nik, "confirm": "y"}),
                         ("/refused", {"outcome": "Bukan kota kami"}), ("/done", {"outcome": "Bukan kota kami"})):
        response = submit(other, "/samarinda/office/privacy/", data, action=theirs + action)
        assert response.status_code == 404, action
    assert [r.status for r in _requests(app)] == ["open"]
    assert _snapshot(app, "balikpapan", subject.numbers[0])["address"] == "Jl. Melati No. 7101, RT 04"


def test_the_supervisors_digest_names_requests_overdue_and_due_within_a_day(app, citizens):
    user_id = make_user(app, "balikpapan", "supervisor", "kepala@balikpapan.test")
    now = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        user = _user(user_id)
        for hours_ago in (80, 60, 10):  # overdue, due in 12 hours, due in 62 hours
            services.log_request("export", citizens[0].nik, "Surat permohonan", user,
                                 received_at=now - timedelta(hours=hours_ago), now=now)
        db.session.commit()
        summary = digest_summary(now.date() - timedelta(days=1), now)
    assert "Permintaan subjek data: 1 terlambat, 1 jatuh tempo dalam 24 jam" in summary
