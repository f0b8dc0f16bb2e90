"""Sending through the gateways: once, retried, fallen back, receipts recorded."""
from __future__ import annotations

import sqlalchemy as sa

from saas.extensions import db
from saas.notifications import services
from saas.notifications.models import Notification
from saas.tenancy.scope import all_tenants, tenant_bound
from tests.conftest import wait_for
from tests.factories import add_document
from tests.notifications.conftest import drain, notifications


def test_document_ready_goes_out_by_whatsapp_and_receipts_make_it_delivered(app, message_gateways):
    add_document(app, registration_no="SN-0001", status="ready", name="Siti Aminah")
    drain(app)
    sent = message_gateways.received("whatsapp")
    assert len(sent) == 1
    assert sent[0]["template"] == "antar_document_ready" and sent[0]["language"] == "id"
    assert sent[0]["parameters"][0] == "Siti Aminah" and "/balikpapan/d/" in sent[0]["parameters"][3]
    row = wait_for(lambda: (r := notifications(app)[0]).status == "delivered" and r, message="delivered")
    assert row.provider_message_id == sent[0]["id"] and row.delivered_at and row.attempts == 1


def test_sending_twice_sends_once(app, message_gateways):
    add_document(app, registration_no="SN-0002", status="ready")
    row = notifications(app)[0]
    with app.app_context():
        assert services.send(row.id) == "sent"
        assert services.send(row.id) == "not sendable"
    drain(app)
    assert len(message_gateways.received("whatsapp")) == 1


def test_a_failing_gateway_is_retried_then_falls_back_to_sms(app, message_gateways):
    message_gateways.set_failure("whatsapp", "server_error")
    add_document(app, registration_no="SN-0003", status="ready")
    drain(app, 20)
    rows = notifications(app)
    assert [(r.channel, r.status) for r in rows][:1] == [("whatsapp", "dead")]
    assert rows[0].attempts == 5 and "500" in rows[0].last_error
    assert rows[1].channel == "sms" and rows[1].status in ("sent", "delivered")
    assert len(message_gateways.received("sms")) == 1 and not message_gateways.received("whatsapp")


def test_a_gateway_that_recovers_sends_on_the_second_attempt(app, message_gateways):
    message_gateways.set_failure("whatsapp", "server_error", count=1)
    add_document(app, registration_no="SN-0004", status="ready")
    drain(app)
    rows = notifications(app)
    assert len(rows) == 1 and rows[0].attempts == 2 and rows[0].status in ("sent", "delivered")


def test_an_invalid_number_is_dead_at_once(app, message_gateways):
    add_document(app, registration_no="SN-0005", status="ready", phone="081234560000")
    drain(app)
    first = notifications(app, channel="whatsapp")[0]
    assert first.status == "dead" and first.attempts == 1 and "131026" in first.last_error


def test_a_send_lost_by_a_dead_worker_is_recognised_by_its_receipt_not_resent(app, message_gateways):
    add_document(app, registration_no="SN-0006", status="ready")
    row = notifications(app)[0]
    with app.app_context():
        assert services.claim(row.id)
        # The worker sends, then dies before it can record anything.
        from saas.notifications.channels import channel_for

        with all_tenants():
            notification = db.session.get(Notification, row.id)
        with tenant_bound(notification.tenant):
            channel_for("whatsapp").send(notification)
        db.session.rollback()
    row = wait_for(lambda: (r := notifications(app)[0]).status in ("sent", "delivered") and r,
                   message="the receipt to record the send")
    app.config["NOTIFICATION_CLAIM_TIMEOUT"], before = 0, app.config["NOTIFICATION_CLAIM_TIMEOUT"]
    try:
        with app.app_context():
            assert services.send(row.id) == "not sendable"
    finally:
        app.config["NOTIFICATION_CLAIM_TIMEOUT"] = before
    assert len(message_gateways.received("whatsapp")) == 1


def test_the_sweeper_sends_what_redis_lost(app, message_gateways, monkeypatch):
    from saas.notifications import jobs

    def redis_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(services, "enqueue_sends", redis_down)
    add_document(app, registration_no="SN-0007", status="ready")
    monkeypatch.undo()
    assert [r.status for r in notifications(app)] == ["pending"]
    app.config["NOTIFICATION_STUCK_AFTER"], before = 0, app.config["NOTIFICATION_STUCK_AFTER"]
    try:
        with app.app_context():
            assert jobs.sweep_outbox() == 1
        drain(app)
    finally:
        app.config["NOTIFICATION_STUCK_AFTER"] = before
    assert len(message_gateways.received("whatsapp")) == 1


def test_receipts_need_the_apps_signature(client):
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    assert client.post("/webhooks/messages/whatsapp", data=body, content_type="application/json").status_code == 401
    assert client.post("/webhooks/messages/whatsapp", data=body, content_type="application/json",
                       headers={"X-Hub-Signature-256": "sha256=00"}).status_code == 401
    assert client.post("/webhooks/messages/sms", json={"messageId": "1", "status": "DELIVERED"}).status_code == 401
    verify = client.get("/webhooks/messages/whatsapp?hub.mode=subscribe&hub.verify_token=sandbox-verify-token"
                        "&hub.challenge=42")
    assert verify.status_code == 200 and verify.get_data(as_text=True) == "42"


def test_receipts_are_refused_when_no_secret_is_configured(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOXES_ENABLED", False)
    monkeypatch.setitem(app.config, "WHATSAPP_APP_SECRET", "")
    monkeypatch.setitem(app.config, "SMS_REPORT_TOKEN", "")
    monkeypatch.delenv("WHATSAPP_APP_SECRET", raising=False)
    monkeypatch.delenv("SMS_REPORT_TOKEN", raising=False)
    import hashlib
    import hmac

    body = b'{"object":"whatsapp_business_account","entry":[]}'
    forged = "sha256=" + hmac.new(b"", body, hashlib.sha256).hexdigest()  # signed with the empty secret
    assert client.post("/webhooks/messages/whatsapp", data=body, content_type="application/json",
                       headers={"X-Hub-Signature-256": forged}).status_code == 401
    assert client.post("/webhooks/messages/sms", json={"messageId": "1", "status": "DELIVERED"},
                       headers={"Authorization": "Bearer "}).status_code == 401


def test_email_goes_out_with_html_in_the_citys_colours(app, message_gateways):
    add_document(app, slug="surabaya", registration_no="SN-0008", status="ready", email="dewi@example.test")
    with app.app_context(), all_tenants():
        row = db.session.scalar(sa.select(Notification))
        from saas.notifications.services import notify

        with tenant_bound(row.tenant):
            notify("document_ready", "email-test", document=row.document, channels=["email"])
        db.session.commit()
    drain(app)
    mails = message_gateways.received("email")
    assert len(mails) == 1 and mails[0]["to"] in ("dewi@example.test", ["dewi@example.test"])
    assert "#b3261e" in mails[0]["html"] and "Surabaya" in mails[0]["text"]


def test_an_sms_whose_worker_died_after_the_gateway_took_it_is_not_sent_twice(app, message_gateways, monkeypatch):
    """Samarinda sends SMS, which has no idempotency key: the intent is recorded before the send,
    and a claim that finds it does not send blindly again (at most once; the office is told)."""
    monkeypatch.setitem(app.config, "NOTIFICATION_CLAIM_TIMEOUT", 0)
    add_document(app, slug="samarinda", registration_no="SN-0101", status="ready")
    row = notifications(app, channel="sms")[0]
    from saas.notifications.channels.sms import Sms

    real_send = Sms.send

    def gateway_took_it_then_the_worker_died(self, notification):
        real_send(self, notification)
        raise SystemExit("SIGKILL")  # nothing after the gateway's answer is recorded

    monkeypatch.setattr(Sms, "send", gateway_took_it_then_the_worker_died)
    with app.app_context():
        try:
            services.send(row.id)
        except SystemExit:
            db.session.rollback()
    monkeypatch.setattr(Sms, "send", real_send)
    assert len(message_gateways.received("sms")) == 1
    drain(app)  # the next claim finds the intent
    assert len(message_gateways.received("sms")) == 1
    row = notifications(app, channel="sms")[0]
    assert row.status == "dead" and row.last_error.startswith("maybe sent, not repeated")
