"""The WhatsApp Cloud API sandbox: auth, validation codes, success shape, signed status webhooks,
failure modes and the optional rate limits."""
from __future__ import annotations

import hashlib
import hmac
import re
import time

import pytest
import requests

from saas.sandboxes import messages

from .conftest import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID

WEBHOOK = "/webhooks/messages/whatsapp"
CITIZEN = "6281234567890"


def template_payload(to=CITIZEN, name="dokumen_siap", language="id", parameters=None, **overrides):
    if parameters is None:
        parameters = ["Siti Aminah", "KTP-el", "https://antar.test/balikpapan/d/abc123"]
    payload = {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "template",
        "template": {"name": name, "language": {"code": language}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}]},
    }
    payload.update(overrides)
    return payload


def send(client, payload=None, token=ACCESS_TOKEN, number=PHONE_NUMBER_ID, version="v21.0"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(f"/sandbox/whatsapp/{version}/{number}/messages",
                       json=template_payload() if payload is None else payload, headers=headers)


def graph_error(response) -> dict:
    error = response.get_json()["error"]
    assert set(error) >= {"message", "type", "code", "fbtrace_id"}
    return error


def test_accepted_template_message_answers_like_the_cloud_api_and_is_recorded_once(sandbox, whatsapp_number):
    response = send(sandbox)

    assert response.status_code == 200
    body = response.get_json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": CITIZEN, "wa_id": CITIZEN}]
    wamid = body["messages"][0]["id"]
    assert re.fullmatch(r"wamid\.[A-Za-z0-9+/=]+", wamid)

    [message] = messages.received("whatsapp")
    assert message["id"] == wamid
    assert message["to"] == message["recipient"] == CITIZEN
    assert message["template"] == "dokumen_siap" and message["language"] == "id"
    assert message["parameters"] == ["Siti Aminah", "KTP-el", "https://antar.test/balikpapan/d/abc123"]
    assert message["text"].startswith("dokumen_siap: Siti Aminah")
    assert message["time"]
    assert messages.received("sms") == []


def test_each_send_gets_its_own_message_id(sandbox, whatsapp_number):
    ids = {send(sandbox).get_json()["messages"][0]["id"] for _ in range(5)}
    assert len(ids) == 5
    assert len(messages.received("whatsapp")) == 5


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_a_missing_or_wrong_access_token_is_an_oauth_error(sandbox, whatsapp_number, token):
    response = send(sandbox, token=token)

    assert response.status_code == 401
    error = graph_error(response)
    assert error["code"] == 190 and error["type"] == "OAuthException"
    assert messages.received() == []
    assert messages.rejected("whatsapp")[0]["reason"] == "unauthorized"


def test_another_numbers_token_is_refused(sandbox, whatsapp_number, receiver):
    messages.register_whatsapp("999", "other-token", "other-secret", receiver.url(WEBHOOK))
    assert send(sandbox, token="other-token").status_code == 401
    assert send(sandbox, token="other-token", number="999").status_code == 200


def test_an_unknown_phone_number_id_is_a_graph_method_error(sandbox, whatsapp_number):
    response = send(sandbox, number="123456")

    assert response.status_code == 400
    error = graph_error(response)
    assert (error["code"], error["error_subcode"], error["type"]) == (100, 33, "GraphMethodException")


@pytest.mark.parametrize(("payload", "code"), [
    (template_payload(messaging_product="sms"), 100),
    (template_payload(to="+6281234567890"), 131009),
    (template_payload(to="081234567890"), 131009),
    (template_payload(to="62812-345"), 131009),
    ({"messaging_product": "whatsapp", "to": CITIZEN, "type": "text", "text": {"body": "Halo"}}, 131047),
    (template_payload(name=""), 132001),
    ({**template_payload(), "template": {"name": "dokumen_siap"}}, 132001),
    (template_payload(parameters=["Siti\nAminah"]), 132018),
    ({**template_payload(), "template": {"name": "dokumen_siap", "language": {"code": "id"},
                                         "components": [{"type": "body", "parameters": [{"type": "text"}]}]}},
     131008),
])
def test_invalid_requests_get_the_cloud_api_error_code(sandbox, whatsapp_number, payload, code):
    response = send(sandbox, payload)

    assert response.status_code == 400
    error = graph_error(response)
    assert error["code"] == code
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert messages.received() == []
    assert len(messages.rejected("whatsapp")) == 1


def verify_signature(captured) -> bool:
    expected = hmac.new(APP_SECRET.encode(), captured.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(captured.headers["X-Hub-Signature-256"], f"sha256={expected}")


def test_receipts_are_sent_delivered_read_as_three_signed_webhooks(sandbox, whatsapp_number, receiver):
    wamid = send(sandbox).get_json()["messages"][0]["id"]

    callbacks = receiver.at(WEBHOOK)
    assert len(callbacks) == 3
    statuses = []
    for captured in callbacks:
        assert verify_signature(captured)
        assert captured.headers["Content-Type"] == "application/json"
        body = captured.json()
        assert body["object"] == "whatsapp_business_account"
        change = body["entry"][0]["changes"][0]
        assert change["field"] == "messages"
        value = change["value"]
        assert value["messaging_product"] == "whatsapp"
        assert value["metadata"]["phone_number_id"] == PHONE_NUMBER_ID
        [status] = value["statuses"]
        assert status["id"] == wamid and status["recipient_id"] == CITIZEN
        assert status["timestamp"].isdigit()
        statuses.append(status["status"])
    assert statuses == ["sent", "delivered", "read"]

    [message] = messages.received("whatsapp")
    assert message["status"] == "read"
    log = messages.receipt_log("whatsapp")
    assert [(r["status"], r["http_status"]) for r in log] == [("sent", 200), ("delivered", 200), ("read", 200)]


def test_a_tampered_body_does_not_verify(sandbox, whatsapp_number, receiver):
    send(sandbox)
    captured = receiver.at(WEBHOOK)[0]
    captured.body = captured.body.replace(b"sent", b"read")
    assert not verify_signature(captured)


def test_receipt_attempts_are_logged_with_the_receivers_answer(sandbox, whatsapp_number, receiver):
    receiver.status = 401
    send(sandbox)
    assert [r["http_status"] for r in messages.receipt_log()] == [401, 401, 401]
    assert not any(r["ok"] for r in messages.receipt_log())


def test_a_failed_status_and_duplicates_can_be_provoked(sandbox, whatsapp_number, receiver):
    messages.set_receipt_mode("off")
    wamid = send(sandbox).get_json()["messages"][0]["id"]
    assert receiver.at(WEBHOOK) == []

    messages.send_whatsapp_status(wamid, "delivered")
    messages.send_whatsapp_status(wamid, "delivered")
    entry = messages.send_whatsapp_status(wamid, "failed",
                                          errors=[{"code": 131049, "title": "Meta chose not to deliver."}])

    assert entry["http_status"] == 200
    bodies = [c.json()["entry"][0]["changes"][0]["value"]["statuses"][0] for c in receiver.at(WEBHOOK)]
    assert [b["status"] for b in bodies] == ["delivered", "delivered", "failed"]
    assert bodies[2]["errors"][0]["code"] == 131049
    assert messages.received()[0]["status"] == "failed"
    with pytest.raises(LookupError):
        messages.send_whatsapp_status("wamid.unknown", "read")


def test_async_receipts_arrive_later_in_order(sandbox, whatsapp_number, receiver):
    messages.set_receipt_mode("async")
    messages.set_receipt_delay(0.05)
    send(sandbox)
    assert receiver.at(WEBHOOK) == []  # the send returned before any receipt

    deadline = time.monotonic() + 5
    while len(receiver.at(WEBHOOK)) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    statuses = [c.json()["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] for c in receiver.at(WEBHOOK)]
    assert statuses == ["sent", "delivered", "read"]


def test_manual_receipts_wait_until_delivered(sandbox, whatsapp_number, receiver):
    messages.set_receipt_mode("manual")
    send(sandbox)
    assert receiver.at(WEBHOOK) == []
    assert messages.received()[0]["status"] == "accepted"

    log = messages.deliver_receipts()

    assert [r["status"] for r in log] == ["sent", "delivered", "read"]
    assert len(receiver.at(WEBHOOK)) == 3
    assert messages.deliver_receipts() == []


def test_server_error_mode_fails_the_next_count_requests_then_recovers(sandbox, whatsapp_number):
    messages.set_failure("whatsapp", "server_error", count=2)

    first, second, third = send(sandbox), send(sandbox), send(sandbox)

    assert [first.status_code, second.status_code, third.status_code] == [500, 500, 200]
    assert graph_error(first)["code"] == 131000
    assert len(messages.received("whatsapp")) == 1
    assert [r["reason"] for r in messages.rejected()] == ["server_error", "server_error"]


def test_rate_limit_mode_answers_130429(sandbox, whatsapp_number):
    messages.set_failure("whatsapp", "rate_limit")
    response = send(sandbox)
    assert response.status_code == 429
    assert graph_error(response)["code"] == 130429
    assert send(sandbox).status_code == 429  # no count: until changed
    messages.set_failure("whatsapp", "none")
    assert send(sandbox).status_code == 200


def test_invalid_number_mode_and_numbers_ending_in_0000_are_undeliverable(sandbox, whatsapp_number, receiver):
    messages.set_failure("whatsapp", "invalid_number", count=1)
    assert graph_error(send(sandbox))["code"] == 131026
    assert send(sandbox).status_code == 200

    response = send(sandbox, template_payload(to="6281200000000"))
    assert response.status_code == 400
    assert graph_error(response)["code"] == 131026
    assert [m["to"] for m in messages.received()] == [CITIZEN]
    assert messages.rejected()[-1]["reason"] == "invalid_number"


def test_timeout_mode_holds_the_request_past_the_clients_timeout(sandbox_app, whatsapp_number, live_sandbox):
    messages.set_failure("whatsapp", "timeout", count=1, timeout_seconds=3)
    url = f"{live_sandbox.base_url}/sandbox/whatsapp/v21.0/{PHONE_NUMBER_ID}/messages"
    headers = {"Authorization": f"Bearer {ACCESS_TOKEN}"}

    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        requests.post(url, json=template_payload(), headers=headers, timeout=0.3)
    assert time.monotonic() - started < 2

    assert requests.post(url, json=template_payload(), headers=headers, timeout=5).status_code == 200
    assert len(messages.received("whatsapp")) == 1


def test_throughput_limit_when_enabled(sandbox, whatsapp_number):
    messages.set_whatsapp_limits(per_second=2)
    codes = [send(sandbox, template_payload(to=f"62812345678{i}")).status_code for i in range(3)]
    assert codes == [200, 200, 429]
    assert messages.rejected()[-1]["code"] == 130429


def test_pair_rate_limit_when_enabled(sandbox, whatsapp_number):
    messages.set_whatsapp_limits(pair_seconds=6)
    assert send(sandbox).status_code == 200
    again = send(sandbox)
    assert again.status_code == 429
    assert graph_error(again)["code"] == 131056
    assert send(sandbox, template_payload(to="6281298765432")).status_code == 200


def test_limits_are_off_by_default(sandbox, whatsapp_number):
    assert all(send(sandbox).status_code == 200 for _ in range(10))


def test_declared_templates_render_the_preview_and_check_parameters(sandbox, whatsapp_number):
    messages.register_whatsapp_template("dokumen_siap", "id",
                                        "Halo {{1}}, {{2}} Anda sudah jadi. Pilih cara ambil: {{3}}")

    assert send(sandbox).status_code == 200
    assert messages.received()[0]["text"] == (
        "Halo Siti Aminah, KTP-el Anda sudah jadi. Pilih cara ambil: https://antar.test/balikpapan/d/abc123")
    assert graph_error(send(sandbox, template_payload(parameters=["Siti"])))["code"] == 132000
    assert graph_error(send(sandbox, template_payload(name="promo")))["code"] == 132001
    assert graph_error(send(sandbox, template_payload(language="en")))["code"] == 132001


def test_numbers_and_failures_can_be_set_over_http(sandbox, receiver):
    response = sandbox.put("/sandbox/whatsapp/_admin/numbers/555", json={
        "access_token": "tok", "app_secret": "sec", "webhook_url": receiver.url(WEBHOOK)})
    assert response.status_code == 200
    assert send(sandbox, token="tok", number="555").status_code == 200

    response = sandbox.put("/sandbox/_admin/messages/failure",
                           json={"channel": "whatsapp", "mode": "server_error", "count": 1})
    assert response.get_json()["failures"]["whatsapp"] == {"mode": "server_error", "count": 1,
                                                           "timeout_seconds": 10.0}
    assert send(sandbox, token="tok", number="555").status_code == 500
    assert send(sandbox, token="tok", number="555").status_code == 200

    assert sandbox.put("/sandbox/_admin/messages/failure", json={"channel": "fax", "mode": "none"}).status_code == 400
    assert sandbox.put("/sandbox/whatsapp/_admin/numbers/556", json={"access_token": "x"}).status_code == 400
