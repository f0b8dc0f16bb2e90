"""A data-subject request in the office: logged, then carried out from its page (export everything on
one NIK, erase what the law allows), recorded; supervisors only, CSRF-protected, in Bahasa Indonesia;
nobody else's data touched."""
from __future__ import annotations

import json

import sqlalchemy as sa

from saas.accounts.models import StaffAccessLog
from saas.couriers.models import CourierCallback, Delivery
from saas.documents.models import Document, DocumentEvent
from saas.extensions import db
from saas.notifications.models import Notification
from saas.portal.models import ProblemReport, Rating
from saas.privacy.models import SubjectRequest
from saas.stats.services import compute_city_day
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import csrf_token_from, submit
from tests.privacy.conftest import LONG_AGO

PAGE = "/balikpapan/office/privacy/"


def log_request(client, nik: str, kind: str, reason: str, page: str = PAGE) -> str:
    """Log the request as it comes in; the page to carry it out from."""
    logged = submit(client, page, {"nik": nik, "kind": kind, "reason": reason})
    assert logged.status_code == 302, logged.get_data(as_text=True)
    return logged.headers["Location"]


def carry_out(client, request_page: str, data: dict):
    return submit(client, request_page, data, action=request_page + "/carry-out")


def _snapshot(app, slug, number):
    """Everything held about one citizen's first document, as plain values."""
    with app.app_context(), tenant_bound(get_tenant(slug)):
        document = db.session.scalar(sa.select(Document).where(Document.registration_no == number))
        trip = db.session.get(Delivery, document.delivery_id)
        return {
            "phone": document.phone, "email": document.email, "address": trip.address,
            "recipient": trip.recipient_name, "receiver": trip.receiver_name,
            "payloads": db.session.scalars(sa.select(CourierCallback.payload)
                                           .where(CourierCallback.delivery_id == trip.id)).all(),
            "bodies": db.session.scalars(sa.select(Notification.body).where(
                Notification.document_id == document.id, Notification.event_key.like("ready:%"))).all(),
            "comments": db.session.scalars(sa.select(Rating.comment).where(Rating.document_id == document.id)).all(),
            "notes": db.session.scalars(sa.select(ProblemReport.note)
                                        .where(ProblemReport.document_id == document.id)).all(),
        }


def test_a_supervisor_exports_everything_held_on_one_nik_as_json(app, staff, citizens):
    subject, neighbour, elsewhere = citizens
    operator = staff("operator")
    assert operator.get(f"/balikpapan/office/documents/{subject.numbers[0]}").status_code == 200  # a read, logged
    client = staff("supervisor")
    page = client.get(PAGE)
    assert page.status_code == 200 and "Permintaan subjek data" in page.get_data(as_text=True)
    request_page = log_request(client, subject.nik, "export", "Surat permohonan 12/2026")
    response = carry_out(client, request_page, {"nik": subject.nik})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert sorted(d["registration_no"] for d in data["documents"]) == sorted(subject.numbers)
    assert data["nik"] == subject.nik[:4] + "**********" + subject.nik[-2:]
    assert subject.nik not in response.get_data(as_text=True)
    [trip] = data["deliveries"]
    assert trip["address"] == "Jl. Melati No. 7101, RT 04" and trip["recipient_name"] == "Penerima 7101"
    assert trip["courier_callbacks"][0]["payload"]["receiver_name"] == "Ibu 7101"
    assert "Halo Warga 7101, dokumen siap." in [m["body"] for m in data["messages"]]
    assert [b["code"] for b in data["bookings"]] == ["BK7101"]
    assert [p["note"] for p in data["problem_reports"]] == ["Segel agak sobek 7101"]
    assert [(r["score"], r["comment"]) for r in data["ratings"]] == [(4, "Cepat, terima kasih 7101")]
    assert [(r["action"], r["record"]) for r in data["access_log"]] == [("view_document", subject.numbers[0])]
    assert all(len(d["events"]) >= 1 for d in data["documents"])
    text = response.get_data(as_text=True)
    assert "7201" not in text and "7301" not in text  # nobody else's data
    with app.app_context(), all_tenants():
        [request] = db.session.scalars(sa.select(SubjectRequest)).all()
        assert (request.kind, request.status, request.reason, request.handled_by.email) == (
            "export", "done", "Surat permohonan 12/2026", "supervisor@balikpapan.test")
        assert request.summary["documents"] == 2
        logged = db.session.scalars(sa.select(StaffAccessLog).where(StaffAccessLog.action == "subject_export")).one()
        assert logged.subject == data["nik"] and logged.reason == "Surat permohonan 12/2026"
    listed = client.get(PAGE).get_data(as_text=True)
    assert "Surat permohonan 12/2026" in listed and data["nik"] in listed and subject.nik not in listed


def test_erasure_removes_what_the_law_allows_and_keeps_the_registry_and_the_rollups(app, staff, citizens):
    subject, neighbour, elsewhere = citizens
    tenant_days = []
    with app.app_context():
        balikpapan = get_tenant("balikpapan")
        day = balikpapan.local_date(LONG_AGO)
        with tenant_bound(balikpapan):
            before_figures = compute_city_day(balikpapan, day)
            events_before = db.session.scalar(sa.select(sa.func.count()).select_from(DocumentEvent))
            tenant_days.append(day)
    neighbour_before = _snapshot(app, "balikpapan", neighbour.numbers[0])
    elsewhere_before = _snapshot(app, "samarinda", elsewhere.numbers[0])
    client = staff("supervisor")

    request_page = log_request(client, subject.nik, "erase", "Permintaan warga 3/2026")
    refused = carry_out(client, request_page, {"nik": subject.nik})
    assert refused.status_code == 400 and "Centang kotak" in refused.get_data(as_text=True)
    assert _snapshot(app, "balikpapan", subject.numbers[0])["address"] == "Jl. Melati No. 7101, RT 04"

    response = carry_out(client, request_page, {"nik": subject.nik, "confirm": "y"})
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dihapus untuk NIK" in shown

    after = _snapshot(app, "balikpapan", subject.numbers[0])
    assert after == {"phone": "", "email": None, "address": None, "recipient": None, "receiver": None,
                     "payloads": [{}], "bodies": [""], "comments": [None], "notes": [None]}
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        documents = db.session.scalars(sa.select(Document).where(Document.registration_no.in_(subject.numbers))
                                       .order_by(Document.registration_no)).all()
        # the registry's record stays: the documents, their NIK, name and history
        assert [d.status for d in documents] == ["delivered", "ready"]
        assert documents[0].owner_name and documents[0].nik_hash
        assert documents[1].phone.endswith("7102")  # still in progress: its contact stays
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DocumentEvent)) == events_before
        assert db.session.scalar(sa.select(Rating.score).where(Rating.document_id == documents[0].id)) == 4
        trip = db.session.get(Delivery, subject.delivery_id)
        assert (trip.status, trip.seal_number) == ("delivered", "S-7101")
        assert compute_city_day(get_tenant("balikpapan"), tenant_days[0]) == before_figures
        request = db.session.scalars(sa.select(SubjectRequest)).one()
        assert (request.kind, request.status) == ("erase", "done") and request.summary["documents_kept_open"] == 1
        assert request.summary["deliveries_erased"] == 1 and request.summary["messages_erased"] == 1
    assert _snapshot(app, "balikpapan", neighbour.numbers[0]) == neighbour_before
    assert _snapshot(app, "samarinda", elsewhere.numbers[0]) == elsewhere_before


def test_only_supervisors_with_a_token_and_a_real_nik(app, staff, client, citizens):
    subject = citizens[0]
    assert client.get(PAGE).status_code == 302  # not signed in: to the sign-in page
    operator = staff("operator")
    assert operator.get(PAGE).status_code == 403
    supervisor = staff("supervisor")
    no_token = supervisor.post(PAGE, data={"nik": subject.nik, "kind": "erase", "reason": "tanpa token",
                                           "confirm": "y"})
    assert no_token.status_code == 400
    assert _snapshot(app, "balikpapan", subject.numbers[0])["address"] == "Jl. Melati No. 7101, RT 04"
    token = csrf_token_from(supervisor.get(PAGE).get_data(as_text=True))
    bad = supervisor.post(PAGE, data={"nik": "6471 0199 0890 0001", "kind": "export", "reason": "uji coba",
                                      "csrf_token": token})
    assert bad.status_code == 400 and "tanggal lahir pada NIK ini tidak sah" in bad.get_data(as_text=True)
    assert "6471 0199 0890 0001" not in bad.get_data(as_text=True)
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SubjectRequest)) == 0
    # another city's supervisor never sees Balikpapan's citizen
    other = staff("supervisor", slug="samarinda")
    theirs = log_request(other, subject.nik, "export", "salah kota", page="/samarinda/office/privacy/")
    response = carry_out(other, theirs, {"nik": subject.nik})
    assert json.loads(response.get_data(as_text=True))["documents"] == []
