"""The WhatsApp sandbox's citizen side: signed inbound webhooks as Meta sends them, the 24-hour
window for free-form messages, and interactive messages checked against WhatsApp's limits."""
from __future__ import annotations

import hashlib
import hmac

from saas.sandboxes import messages
from saas.sandboxes.messages.whatsapp import send_inbound

from .conftest import APP_SECRET, PHONE_NUMBER_ID
from .test_whatsapp import CITIZEN, WEBHOOK, graph_error, send


def session(kind: str = "text", **content) -> dict:
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": CITIZEN, "type": kind}
    payload.update(content or {"text": {"body": "Halo"}})
    return payload


def buttons(count: int) -> dict:
    return session("interactive", interactive={"type": "button", "body": {"text": "Pilih"}, "action": {
        "buttons": [{"type": "reply", "reply": {"id": f"b{n}", "title": f"Tombol {n}"}} for n in range(count)]}})


def rows(count: int) -> dict:
    return session("interactive", interactive={"type": "list", "body": {"text": "Pilih jadwal"}, "action": {
        "button": "Pilih jadwal", "sections": [
            {"title": "Selasa", "rows": [{"id": f"r{n}", "title": f"{8 + n}.00"} for n in range(count)]}]}})


def test_a_free_form_message_before_the_person_wrote_is_131047(sandbox, whatsapp_number):
    response = send(sandbox, session())
    assert response.status_code == 400 and graph_error(response)["code"] == 131047


def test_a_reply_is_signed_like_meta_and_opens_the_window(sandbox, whatsapp_number, receiver):
    record = send_inbound(PHONE_NUMBER_ID, "081234567890", "button", reply_id="pickup", title="Ambil di kantor",
                          context="wamid.ABC")
    assert record["http_status"] == 200
    webhook = receiver.at(WEBHOOK)[-1]
    expected = "sha256=" + hmac.new(APP_SECRET.encode(), webhook.body, hashlib.sha256).hexdigest()
    assert webhook.headers["X-Hub-Signature-256"] == expected
    value = webhook.json()["entry"][0]["changes"][0]["value"]
    message = value["messages"][0]
    assert value["metadata"]["phone_number_id"] == PHONE_NUMBER_ID
    assert message["from"] == CITIZEN and message["context"]["id"] == "wamid.ABC"
    assert message["button"] == {"payload": "pickup", "text": "Ambil di kantor"} and message["id"].startswith("wamid.")
    assert send(sandbox, session()).status_code == 200


def test_list_replies_and_text_have_the_cloud_api_shape(sandbox, whatsapp_number, receiver):
    send_inbound(PHONE_NUMBER_ID, CITIZEN, "interactive", reply_id="slot:1", title="09.00", list_reply=True)
    send_inbound(PHONE_NUMBER_ID, CITIZEN, "text", text="status")
    listed, typed = (r.json()["entry"][0]["changes"][0]["value"]["messages"][0] for r in receiver.at(WEBHOOK)[-2:])
    assert listed["interactive"] == {"type": "list_reply", "list_reply": {"id": "slot:1", "title": "09.00"}}
    assert typed["type"] == "text" and typed["text"] == {"body": "status"}


def test_interactive_messages_keep_whatsapps_limits(sandbox, whatsapp_number):
    send_inbound(PHONE_NUMBER_ID, CITIZEN, "text", text="halo")
    assert send(sandbox, buttons(3)).status_code == 200
    assert graph_error(send(sandbox, buttons(4)))["code"] == 131009
    assert send(sandbox, rows(10)).status_code == 200
    assert graph_error(send(sandbox, rows(11)))["code"] == 131009
    shown = messages.received("whatsapp")
    assert [b["title"] for b in shown[0]["buttons"]] == ["Tombol 0", "Tombol 1", "Tombol 2"]
    assert len(shown[1]["list"]["sections"][0]["rows"]) == 10


def test_the_inbox_taps_a_button_and_shows_the_reply(sandbox, whatsapp_number, receiver):
    messages.register_whatsapp_template_buttons("antar_document_ready", "id", ["Ambil di kantor", "Antar ke rumah"])
    template = {"messaging_product": "whatsapp", "to": CITIZEN, "type": "template", "template": {
        "name": "antar_document_ready", "language": {"code": "id"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Siti"}]},
            {"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [{"type": "payload", "payload": "pickup"}]},
            {"type": "button", "sub_type": "quick_reply", "index": "1", "parameters": [{"type": "payload", "payload": "courier"}]}]}}
    sent = send(sandbox, template).get_json()["messages"][0]["id"]
    page = sandbox.get(f"/sandbox/inbox?to={CITIZEN}").get_data(as_text=True)
    assert "Ambil di kantor" in page and "Antar ke rumah" in page and "pickup" not in page.split("reply_id")[0]
    tapped = sandbox.post("/sandbox/inbox/reply", data={
        "to": CITIZEN, "phone_number_id": PHONE_NUMBER_ID, "context": sent, "kind": "button", "reply_id": "pickup",
        "title": "Ambil di kantor"})
    assert tapped.status_code == 302
    message = receiver.at(WEBHOOK)[-1].json()["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["button"]["payload"] == "pickup" and message["context"]["id"] == sent
    assert "you wrote" in sandbox.get(f"/sandbox/inbox?to={CITIZEN}").get_data(as_text=True)
