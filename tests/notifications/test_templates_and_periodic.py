"""City templates checked at sync; reminders and the supervisors' digest; the office's view."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from saas.documents.models import Document
from saas.extensions import db
from saas.notifications import jobs
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import TenantFileError, get_tenant, sync_tenants
from tests.conftest import TENANTS_DIR, make_user, submit
from tests.factories import add_document
from tests.notifications.conftest import drain, notifications


@pytest.fixture
def tenants_copy(tmp_path):
    target = tmp_path / "tenants"
    shutil.copytree(TENANTS_DIR, target)
    return target


def test_a_city_override_is_used_and_a_typo_fails_sync(app, tenants_copy):
    folder = tenants_copy / "bontang" / "templates"
    folder.mkdir()
    (folder / "document_ready.id.txt").write_text("Halo {name}, {document_type} Anda siap di Bontang: {link}")
    with app.app_context():
        assert sync_tenants(tenants_copy) == ["updated bontang: message_templates"]
    add_document(app, slug="bontang", registration_no="TP-0001", status="ready", name="Rahmat")
    assert notifications(app)[0].body.startswith("Halo Rahmat, KTP-el Anda siap di Bontang: http")
    (folder / "delivered.en.txt").write_text("Dear {nama}, it arrived")
    with app.app_context(), pytest.raises(TenantFileError) as refused:
        sync_tenants(tenants_copy)
    assert refused.value.problems[0][0].endswith("delivered.en.txt")
    assert "{nama}" in refused.value.problems[0][2]


def test_every_event_has_both_languages_and_renders(app):
    from saas.notifications.services import preview
    from saas.notifications.templates import EVENTS

    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        for event in EVENTS:
            for language in ("id", "en"):
                body, subject = preview(event, language)
                assert body and subject and "{" not in body


def test_uncollected_reminders_go_once_after_the_citys_days(app, message_gateways, monkeypatch):
    """Eight days waiting in Balikpapan (steps 3 and 7): one reminder, saying 8 days, not two."""
    now = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)  # 10:00 WITA, outside quiet hours
    monkeypatch.setattr(jobs, "utcnow", lambda: now)
    number = add_document(app, registration_no="RM-0001", status="ready")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        document = db.session.scalar(sa.select(Document).where(Document.registration_no == number))
        document.ready_at = now - timedelta(days=8, hours=1)
        db.session.commit()
    with app.app_context():
        assert jobs.send_reminders() == 1
        assert jobs.send_reminders() == 0
    drain(app)
    reminders = [m for m in message_gateways.received("whatsapp") if m["template"] == "antar_uncollected_reminder"]
    assert [m["parameters"][2] for m in reminders] == ["8"]


def test_supervisors_get_a_morning_digest_by_email(app, message_gateways, monkeypatch):
    make_user(app, "balikpapan", "supervisor", "sup@balikpapan.test")
    monkeypatch.setattr(jobs, "utcnow", lambda: datetime(2026, 11, 25, 22, 30, tzinfo=timezone.utc))
    with app.app_context():  # 06:30 WITA: too early, and quiet
        assert jobs.send_supervisor_digests() == 0
    monkeypatch.setattr(jobs, "utcnow", lambda: datetime(2026, 11, 26, 0, 30, tzinfo=timezone.utc))
    with app.app_context():  # 08:30 WITA
        sent = jobs.send_supervisor_digests()
        again = jobs.send_supervisor_digests()
    assert sent >= 1 and again == 0
    drain(app)
    mail = [m for m in message_gateways.received("email") if "sup@balikpapan.test" in str(m["to"])]
    assert len(mail) == 1 and "Kota Balikpapan" in mail[0]["subject"]


def get_tenant_zone(app, slug):
    with app.app_context():
        return get_tenant(slug).zone


def test_office_sees_messages_and_supervisors_resend_dead_ones(app, staff, message_gateways):
    message_gateways.set_failure("whatsapp", "invalid_number")
    message_gateways.set_failure("sms", "invalid_number")
    number = add_document(app, registration_no="OF-0001", status="ready")
    drain(app)
    client = staff("supervisor")
    page = client.get(f"/balikpapan/office/documents/{number}").get_data(as_text=True)
    assert "Pesan kepada warga" in page and "Menyerah" in page and "+62 812-****" in page
    dead = client.get("/balikpapan/office/messages/").get_data(as_text=True)
    assert number in dead
    message_gateways.set_failure("whatsapp", "none")
    row = notifications(app, channel="whatsapp")[0]
    response = submit(client, "/balikpapan/office/messages/", {}, action=f"/balikpapan/office/messages/{row.id}/resend")
    assert response.status_code == 302
    drain(app)
    assert len(message_gateways.received("whatsapp")) == 1
    templates = client.get("/balikpapan/office/messages/templates").get_data(as_text=True)
    assert "document_ready" in templates and "Kota Balikpapan" in templates


def test_the_failed_messages_page_pages_through_all_filters_and_resends_a_selection(app, staff, message_gateways):
    """All of them (not the first 200), with the time, channel, attempts and a reason, never 'None'."""
    import re

    from saas.notifications.models import Notification

    number = add_document(app, registration_no="OF-0002", status="received")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        document = db.session.scalar(sa.select(Document).where(Document.registration_no == number))
        moment = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
        db.session.execute(sa.insert(Notification.__table__), [
            {"tenant_id": document.tenant_id, "document_id": document.id, "event": event,
             "event_key": f"{event}:old-{n}", "channel": "whatsapp", "recipient": "+6281234567890", "language": "id",
             "template": f"antar_{event}", "params": [], "body": "(old)", "status": "dead", "attempts": 5,
             "last_error": None if n % 2 else "WhatsApp 131026", "dead_at": moment, "created_at": moment,
             "updated_at": moment}
            for n, event in enumerate(["uncollected_reminder"] * 55 + ["document_ready"] * 10)])
        db.session.commit()
    client = staff("supervisor")
    first = client.get("/balikpapan/office/messages/").get_data(as_text=True)
    assert "Pesan yang tidak dapat dikirim: 65" in first and "None" not in first
    assert "Gerbang pesan tidak memberi alasan." in first and "WhatsApp 131026" in first
    assert first.count('name="notification_id"') == 50
    older = re.search(r'href="([^"]*before=\d+[^"]*)"', first).group(1).replace("&amp;", "&")
    assert client.get(older).get_data(as_text=True).count('name="notification_id"') == 15
    only_ready = client.get("/balikpapan/office/messages/?event=document_ready").get_data(as_text=True)
    assert only_ready.count('name="notification_id"') == 10
    assert client.get("/balikpapan/office/messages/?day=2026-11-21").get_data(as_text=True).count(
        'name="notification_id"') == 0
    chosen = re.findall(r'name="notification_id" value="(\d+)"', only_ready)[:3]
    response = submit(client, "/balikpapan/office/messages/", {"notification_id": chosen},
                      action="/balikpapan/office/messages/resend", follow_redirects=True)
    assert "3 pesan akan dikirim lagi." in response.get_data(as_text=True)


def test_the_offices_reply_to_a_problem_goes_out_as_its_approved_whatsapp_template(app, message_gateways):
    """``antar_problem_reply`` as a city has Meta approve it: five body parameters, the reply fourth."""
    from saas.accounts.models import User
    from saas.portal import services as portal
    from saas.portal.models import ProblemReport

    message_gateways.register_whatsapp_template(
        "antar_problem_reply", "id", "Balasan kantor atas laporan Anda tentang {{2}} atas nama {{1}} ({{3}}): {{4}} "
                                     "Lihat di: {{5}}")
    user_id = make_user(app, "balikpapan", "operator", "op@balikpapan.test")
    number = add_document(app, registration_no="PR-0009", status="delivered", name="Rahmat")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        document = db.session.scalar(sa.select(Document).where(Document.registration_no == number))
        report = ProblemReport(tenant_id=document.tenant_id, document_id=document.id, kind="not_received")
        db.session.add(report)
        db.session.flush()
        portal.move_problem(report, "resolved", "Dokumen ada di loket 2,\nsilakan ambil.", db.session.get(User, user_id))
        db.session.commit()
    drain(app)
    sent = [m for m in message_gateways.received("whatsapp") if m["template"] == "antar_problem_reply"]
    assert len(sent) == 1
    assert sent[0]["parameters"][:4] == ["Rahmat", "KTP-el", "Saya tidak menerimanya",
                                         "Dokumen ada di loket 2, silakan ambil."]
    assert sent[0]["text"].startswith("Balasan kantor atas laporan Anda tentang KTP-el atas nama Rahmat")
