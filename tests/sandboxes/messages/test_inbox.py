"""The listing the main code's tests count, the phone-like inbox page, and reset."""
from __future__ import annotations

from saas.sandboxes import messages

from .conftest import ACCESS_TOKEN, PHONE_NUMBER_ID, SMS_PASSKEY, SMS_USERKEY
from .test_whatsapp import template_payload

WHATSAPP = f"/sandbox/whatsapp/v21.0/{PHONE_NUMBER_ID}/messages"


def send_whatsapp(client, to="6281234567890"):
    response = client.post(WHATSAPP, json=template_payload(to=to),
                           headers={"Authorization": f"Bearer {ACCESS_TOKEN}"})
    assert response.status_code == 200
    return response.get_json()["messages"][0]["id"]


def send_sms(client, nohp="081234567890", pesan="KTP-el Anda siap diambil: https://antar.test/balikpapan/d/xyz"):
    body = client.post("/sandbox/sms/api/sendsms/", json={
        "userkey": SMS_USERKEY, "passkey": SMS_PASSKEY, "nohp": nohp, "pesan": pesan}).get_json()
    assert body["status"] == "1"
    return body["messageId"]


def test_listing_counts_per_channel_and_filters(sandbox, whatsapp_number, sms_account):
    send_whatsapp(sandbox)
    send_whatsapp(sandbox, to="6281398765432")
    send_sms(sandbox)

    everything = sandbox.get("/sandbox/messages").get_json()
    assert everything["counts"] == {"whatsapp": 2, "sms": 1, "email": 0}
    assert [m["channel"] for m in everything["messages"]] == ["whatsapp", "whatsapp", "sms"]

    one_person = sandbox.get("/sandbox/messages?to=081234567890").get_json()
    assert one_person["counts"] == {"whatsapp": 1, "sms": 1, "email": 0}
    assert sandbox.get("/sandbox/messages?to=%2B6281234567890").get_json()["counts"]["sms"] == 1
    only_sms = sandbox.get("/sandbox/messages?channel=sms").get_json()
    assert only_sms["counts"] == {"whatsapp": 0, "sms": 1, "email": 0}
    assert sandbox.get("/sandbox/messages?channel=fax").status_code == 400


def test_inbox_shows_threads_per_recipient_with_receipt_status(sandbox, whatsapp_number, sms_account):
    wamid = send_whatsapp(sandbox)
    send_sms(sandbox)
    send_whatsapp(sandbox, to="6281398765432")

    response = sandbox.get("/sandbox/inbox")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "+6281234567890" in html and "+6281398765432" in html
    assert "dokumen_siap" in html and "Siti Aminah" in html
    assert '<a href="https://antar.test/balikpapan/d/xyz">https://antar.test/balikpapan/d/xyz</a>' in html
    assert f'id="m-{wamid}"' in html
    assert "status-read" in html and "status-delivered" in html
    assert "<style" not in html and "<script" not in html
    assert '<link rel="stylesheet" href="/sandbox/messages-static/inbox.css">' in html
    assert html.index("+6281398765432") < html.index("+6281234567890")  # latest thread first


def test_inbox_for_one_recipient(sandbox, whatsapp_number):
    send_whatsapp(sandbox)
    send_whatsapp(sandbox, to="6281398765432")

    html = sandbox.get("/sandbox/inbox?to=6281398765432").get_data(as_text=True)

    assert "+6281398765432" in html and "+6281234567890" not in html


def test_inbox_escapes_what_it_shows(sandbox, sms_account):
    send_sms(sandbox, pesan="<script>alert(1)</script>")
    html = sandbox.get("/sandbox/inbox").get_data(as_text=True)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_empty_inbox_and_stylesheet_are_served(sandbox):
    assert "No messages yet" in sandbox.get("/sandbox/inbox").get_data(as_text=True)
    stylesheet = sandbox.get("/sandbox/messages-static/inbox.css")
    assert stylesheet.status_code == 200 and stylesheet.mimetype == "text/css"
    stylesheet.close()


def test_reset_forgets_messages_registrations_and_modes(sandbox, whatsapp_number, sms_account):
    send_whatsapp(sandbox)
    messages.set_failure("sms", "server_error")

    assert sandbox.post("/sandbox/_admin/messages/reset").status_code == 200

    assert messages.received() == [] and messages.receipt_log() == []
    assert messages.failures()["sms"]["mode"] == "none"
    response = sandbox.post(WHATSAPP, json=template_payload(), headers={"Authorization": f"Bearer {ACCESS_TOKEN}"})
    assert response.status_code == 401  # the number is no longer registered


def test_receipt_settings_and_logs_over_http(sandbox, whatsapp_number, receiver):
    assert sandbox.put("/sandbox/_admin/messages/receipts", json={"mode": "manual"}).get_json()["mode"] == "manual"
    send_whatsapp(sandbox)
    assert sandbox.get("/sandbox/_admin/messages/receipts").get_json()["receipts"] == []

    delivered = sandbox.post("/sandbox/_admin/messages/receipts/deliver").get_json()["receipts"]

    assert [r["status"] for r in delivered] == ["sent", "delivered", "read"]
    assert len(sandbox.get("/sandbox/_admin/messages/receipts?channel=whatsapp").get_json()["receipts"]) == 3
    assert sandbox.put("/sandbox/_admin/messages/receipts", json={"mode": "later"}).status_code == 400
