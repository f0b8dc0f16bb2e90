"""The Zenziva-shaped SMS sandbox: credentials, number and text checks, failure modes, reports."""
from __future__ import annotations

import pytest

from saas.sandboxes import messages

from .conftest import SMS_PASSKEY, SMS_REPORT_TOKEN, SMS_USERKEY

SEND = "/sandbox/sms/api/sendsms/"
REPORTS = "/webhooks/messages/sms"


def sms(nohp="081234567890", pesan="Dokumen KTP-el Anda sudah jadi.", userkey=SMS_USERKEY, passkey=SMS_PASSKEY):
    return {"userkey": userkey, "passkey": passkey, "nohp": nohp, "pesan": pesan}


def test_accepted_sms_answers_success_and_is_recorded(sandbox, sms_account):
    response = sandbox.post(SEND, json=sms())

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "1" and body["text"] == "Success"
    assert body["to"] == "081234567890"
    assert body["messageId"].isdigit()
    [message] = messages.received("sms")
    assert message["id"] == body["messageId"]
    assert message["to"] == "081234567890" and message["recipient"] == "6281234567890"
    assert message["text"] == "Dokumen KTP-el Anda sudah jadi."


def test_form_encoded_requests_are_accepted_too(sandbox, sms_account):
    response = sandbox.post(SEND, data=sms(nohp="+6281234567890"))
    assert response.get_json()["status"] == "1"
    assert messages.received("sms")[0]["to"] == "+6281234567890"


@pytest.mark.parametrize(("payload", "text"), [
    (sms(passkey="salah"), "Userkey / Passkey Salah"),
    (sms(userkey="unknown"), "Userkey / Passkey Salah"),
    ({"nohp": "081234567890", "pesan": "x"}, "Userkey / Passkey Salah"),
    (sms(nohp="0212345678"), "Nomor tujuan tidak valid"),
    (sms(nohp="08123"), "Nomor tujuan tidak valid"),
    (sms(nohp="0812-3456-7890"), "Nomor tujuan tidak valid"),
    (sms(nohp="4412345678901"), "Nomor tujuan tidak valid"),
    (sms(pesan="   "), "Pesan tidak boleh kosong"),
    (sms(pesan="x" * 613), "Pesan terlalu panjang"),
])
def test_refusals_are_status_0_with_the_gateways_text(sandbox, sms_account, payload, text):
    response = sandbox.post(SEND, json=payload)

    assert response.status_code == 200
    assert response.get_json() == {"status": "0", "text": text}
    assert messages.received() == []
    assert messages.rejected("sms")[0]["text"] == text


def test_a_612_character_message_is_still_accepted(sandbox, sms_account):
    assert sandbox.post(SEND, json=sms(pesan="x" * 612)).get_json()["status"] == "1"
    assert messages.received()[0]["parts"] == 4


def test_delivery_report_carries_the_bearer_token(sandbox, sms_account, receiver):
    message_id = sandbox.post(SEND, json=sms()).get_json()["messageId"]

    [report] = receiver.at(REPORTS)
    assert report.headers["Authorization"] == f"Bearer {SMS_REPORT_TOKEN}"
    body = report.json()
    assert body["messageId"] == message_id and body["to"] == "081234567890"
    assert body["status"] == "DELIVERED" and body["timestamp"]
    assert messages.received()[0]["status"] == "delivered"


def test_failed_reports_and_duplicates_can_be_provoked(sandbox, sms_account, receiver):
    messages.set_receipt_mode("off")
    message_id = sandbox.post(SEND, json=sms()).get_json()["messageId"]
    assert receiver.at(REPORTS) == []

    messages.send_sms_report(message_id, "FAILED")
    messages.send_sms_report(message_id, "FAILED")

    assert [r.json()["status"] for r in receiver.at(REPORTS)] == ["FAILED", "FAILED"]
    assert messages.received()[0]["status"] == "failed"


def test_no_report_without_a_report_url(sandbox, receiver):
    messages.register_sms_account("quiet", "pass")
    assert sandbox.post(SEND, json=sms(userkey="quiet", passkey="pass")).get_json()["status"] == "1"
    assert receiver.requests == []
    assert messages.receipt_log() == []
    assert messages.received()[0]["status"] == "delivered"


def test_server_error_mode_is_a_plain_500(sandbox, sms_account):
    messages.set_failure("sms", "server_error", count=1)

    response = sandbox.post(SEND, json=sms())

    assert response.status_code == 500
    assert response.mimetype == "text/plain"
    assert sandbox.post(SEND, json=sms()).get_json()["status"] == "1"
    assert len(messages.received("sms")) == 1


def test_rate_limit_and_invalid_number_modes(sandbox, sms_account):
    messages.set_failure("sms", "rate_limit", count=1)
    body = sandbox.post(SEND, json=sms()).get_json()
    assert body["status"] == "0" and "coba lagi" in body["text"]

    messages.set_failure("sms", "invalid_number", count=1)
    assert sandbox.post(SEND, json=sms()).get_json() == {"status": "0", "text": "Nomor tujuan tidak valid"}
    assert sandbox.post(SEND, json=sms()).get_json()["status"] == "1"


def test_numbers_ending_in_0000_are_always_invalid(sandbox, sms_account):
    body = sandbox.post(SEND, json=sms(nohp="081200000000")).get_json()
    assert body == {"status": "0", "text": "Nomor tujuan tidak valid"}
    assert messages.rejected()[0]["reason"] == "invalid_number"


def test_accounts_can_be_registered_over_http(sandbox, receiver):
    response = sandbox.put("/sandbox/sms/_admin/accounts/kota", json={
        "passkey": "pk", "report_url": receiver.url(REPORTS), "report_token": "t"})
    assert response.status_code == 200
    message_id = sandbox.post(SEND, json=sms(userkey="kota", passkey="pk")).get_json()["messageId"]
    assert receiver.at(REPORTS)[0].json()["messageId"] == message_id

    response = sandbox.post("/sandbox/sms/_admin/reports", json={"messageId": message_id, "status": "FAILED"})
    assert response.get_json()["receipt"]["http_status"] == 200
    assert sandbox.post("/sandbox/sms/_admin/reports", json={"messageId": "1"}).status_code == 404
