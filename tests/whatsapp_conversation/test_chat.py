"""The citizen answers the "ready" message in WhatsApp: routing, duplicates, other cities, consent,
the 24-hour window, the pickup and courier paths, and the office taking the chat over."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import requests
import sqlalchemy as sa

from saas.conversation.models import ChatMessage, Conversation
from saas.couriers.models import Delivery
from saas.documents.services import get_document
from saas.extensions import db
from saas.models import utcnow
from saas.notifications import services as notifications
from saas.notifications.models import MessageOptOut, Notification
from saas.portal.models import PickupBooking
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import csrf_token_from
from tests.whatsapp_conversation.conftest import all_day_couriers, count, document, ready, tap
from tests.factories import add_document, make_nik
from tests.notifications.conftest import drain
from tests.notifications.conftest import notifications as outbox

SIGNING_SECRET = "sandbox-whatsapp-app-secret"


def _post_webhook(client, payload: dict | bytes):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SIGNING_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/webhooks/messages/whatsapp", data=raw, content_type="application/json",
                       headers={"X-Hub-Signature-256": signature})


def _reply_payload(phone_number_id: str, sender: str, wamid: str, context: str | None, *, text: str | None = None,
                   payload: str | None = None) -> dict:
    message = {"from": sender, "id": wamid, "timestamp": str(int(utcnow().timestamp()))}
    if text is not None:
        message.update(type="text", text={"body": text})
    else:
        message.update(type="button", button={"payload": payload, "text": payload})
    if context:
        message["context"] = {"from": "6281100000000", "id": context}
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "628110000", "phone_number_id":
                                                      phone_number_id}, "messages": [message]}}]}]}


def test_the_ready_message_has_quick_replies_and_keeps_its_link(app, message_gateways):
    message = ready(app, message_gateways, "081234500001", name="Siti Aminah")
    assert [b["title"] for b in message["quick_replies"]] == ["Ambil di kantor", "Antar ke rumah", "Nanti saja"]
    assert [b["payload"] for b in message["quick_replies"]] == ["pickup", "courier", "later"]
    assert "/balikpapan/d/" in message["parameters"][3]


def test_sms_keeps_the_link_only(app, message_gateways):
    message_gateways.set_failure("whatsapp", "invalid_number")
    add_document(app, registration_no="CH-SMS1", status="ready", phone="081234500002")
    drain(app)
    sms = message_gateways.received("sms")
    assert len(sms) == 1 and "/balikpapan/d/" in sms[0]["text"] and "Ambil di kantor" not in sms[0]["text"]


def test_pickup_in_the_chat_books_the_slot_and_cancels_it(app, message_gateways):
    message = ready(app, message_gateways, "081234500003", registration_no="CH-PICK1", name="Siti Aminah")
    offer = tap(app, message_gateways, message, "Ambil di kantor")
    rows = [row for section in offer["list"]["sections"] for row in section["rows"]]
    assert 1 <= len(rows) <= 10 and len(offer["list"]["sections"]) >= 2  # grouped by day
    confirmation = tap(app, message_gateways, offer, rows[0]["title"])
    assert "JDW-" in confirmation["text"] and "Jl. MT Haryono" in confirmation["text"]
    assert "Senin–Kamis 08.00–15.00" in confirmation["text"]
    assert [b["title"] for b in confirmation["buttons"]] == ["Batal", "Pindah"]
    assert document(app, "CH-PICK1").status == "pickup_booked"
    # No second, template message about the same booking: the chat said it.
    assert not [n for n in outbox(app) if n.event == "pickup_booked"]
    moved = tap(app, message_gateways, confirmation, "Pindah")
    assert moved["list"]
    cancelled = tap(app, message_gateways, confirmation, "Batal")
    assert "dibatalkan" in cancelled["text"]
    assert document(app, "CH-PICK1").status == "ready"
    assert count(app, PickupBooking, status="booked") == 0
    # The citizen put it back themselves: no fresh "your document is ready" on top of the chat's answer.
    assert len([n for n in outbox(app) if n.event == "document_ready"]) == 1


def test_a_duplicate_webhook_changes_nothing(app, client, message_gateways):
    message = ready(app, message_gateways, "081234500004", registration_no="CH-DUP1")
    payload = _reply_payload(message["phone_number_id"], message["recipients"][0], "wamid.DUPLICATE1",
                             message["id"], payload="pickup")
    assert _post_webhook(client, payload).get_json()["received"] == 1
    stored = (count(app, ChatMessage), count(app, Notification))
    assert _post_webhook(client, payload).status_code == 200
    assert (count(app, ChatMessage), count(app, Notification)) == stored
    assert count(app, ChatMessage, wamid="wamid.DUPLICATE1") == 1


def test_a_reply_through_another_citys_number_touches_nothing_of_this_city(app, client, message_gateways):
    message = ready(app, message_gateways, "081234500005", registration_no="CH-X1")
    payload = _reply_payload("sandbox-bontang-whatsapp-phone_number_id", message["recipients"][0], "wamid.OTHER1",
                             message["id"], payload="pickup")
    # Ids and kinds, not statuses: the "ready" message's receipt may turn it delivered meanwhile.
    before = [(n.id, n.event) for n in outbox(app, tenant_id=_tenant_id(app, "balikpapan"))]
    assert _post_webhook(client, payload).status_code == 200
    assert document(app, "CH-X1").status == "ready"
    with app.app_context(), all_tenants():
        balikpapan = _tenant_id(app, "balikpapan")
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(ChatMessage)
                                     .where(ChatMessage.tenant_id == balikpapan))
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(Conversation)
                                     .where(Conversation.tenant_id == balikpapan))
        # Bontang heard a message about no document of its own: it did not name Balikpapan's.
        chat = db.session.scalar(sa.select(ChatMessage).where(ChatMessage.wamid == "wamid.OTHER1"))
        assert chat.tenant_id == _tenant_id(app, "bontang") and chat.document_id is None
    assert [(n.id, n.event) for n in outbox(app, tenant_id=_tenant_id(app, "balikpapan"))] == before


def test_an_unknown_number_or_a_bad_signature_is_refused_or_ignored(app, client, message_gateways):
    message = ready(app, message_gateways, "081234500006")
    payload = _reply_payload("no-such-number", message["recipients"][0], "wamid.NOWHERE", message["id"], text="halo")
    assert _post_webhook(client, payload).get_json()["received"] == 0
    raw = json.dumps(payload).encode()
    bad = client.post("/webhooks/messages/whatsapp", data=raw, content_type="application/json",
                      headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert bad.status_code == 401 and count(app, ChatMessage) == 0


def _tenant_id(app, slug: str) -> int:
    with app.app_context():
        return get_tenant(slug).id


def test_stop_silences_reminders_and_mulai_brings_them_back(app, message_gateways):
    message = ready(app, message_gateways, "081234500007", registration_no="CH-STOP1")
    answer = tap(app, message_gateways, message, "stop", typed=True)
    assert "tidak akan mengirim pengingat" in answer["text"]
    assert count(app, MessageOptOut) == 1
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        doc = get_document("CH-STOP1")
        assert notifications.notify("uncollected_reminder", "stop:1", document=doc, extra={"days": "7"}) is None
        db.session.commit()
    answer = tap(app, message_gateways, message, "mulai", typed=True)
    assert "aktif lagi" in answer["text"]
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        doc = get_document("CH-STOP1")
        reminder = notifications.notify("uncollected_reminder", "mulai:1", document=doc, extra={"days": "7"})
        assert reminder is not None and reminder.channel == "whatsapp"
        db.session.commit()
    drain(app)
    assert message_gateways.received("whatsapp", to="081234500007")[-1]["template"] == "antar_uncollected_reminder"


def test_a_reminder_queued_before_stop_is_not_sent(app, message_gateways):
    message = ready(app, message_gateways, "081234500008", registration_no="CH-STOP2")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        notifications.notify("uncollected_reminder", "queued:1", document=get_document("CH-STOP2"), extra={"days": "7"})
        notifications.withdraw_consent("+6281234500008")
        db.session.commit()
    drain(app)
    assert [n.status for n in outbox(app, event="uncollected_reminder")] == ["superseded"]
    assert message["template"] == "antar_document_ready"


def test_free_form_only_inside_the_window(app, message_gateways):
    # The sandbox refuses a session message to someone who never wrote, with WhatsApp's error.
    message = ready(app, message_gateways, "081234500009", registration_no="CH-WIN1")
    base = app.config["PUBLIC_BASE_URL"] + "/sandbox/whatsapp/v21.0/" + message["phone_number_id"] + "/messages"
    refused = requests.post(base, timeout=5, headers={"Authorization": "Bearer sandbox-balikpapan-whatsapp-access_token"},
                            json={"messaging_product": "whatsapp", "to": "6281234599999", "type": "text",
                                  "text": {"body": "halo"}})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 131047
    # Inside the window the answer goes; once it has closed, a reply still queued is not sent.
    tap(app, message_gateways, message, "status", typed=True)
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        conversation = db.session.scalar(sa.select(Conversation))
        conversation.last_inbound_at = utcnow() - timedelta(hours=25)
        late = notifications.say("late:1", recipient=conversation.phone, body="terlambat",
                                 payload={"type": "text", "text": {"body": "terlambat"}})
        late_id = late.id
        db.session.commit()
    drain(app)
    assert [n.status for n in outbox(app, id=late_id)] == ["superseded"]


def test_status_menu_and_no_nik_echoed(app, message_gateways):
    message = ready(app, message_gateways, "081234500010", registration_no="CH-TXT1", name="Budi Santoso")
    status = tap(app, message_gateways, message, "cek", typed=True)
    assert "Budi Santoso" in status["text"] and "siap" in status["text"].lower()
    nik = make_nik(serial=4321)
    menu = tap(app, message_gateways, message, f"halo nik saya {nik}", typed=True)
    assert "+6281152001234" in menu["text"] and nik not in menu["text"]
    assert [b["title"] for b in menu["buttons"]] == ["Ambil di kantor", "Antar ke rumah", "Status"]
    with app.app_context(), all_tenants():
        texts = db.session.scalars(sa.select(ChatMessage.text)).all()
    assert not any(nik in text for text in texts)


def _earlier_delivery(app, registration_no: str) -> None:
    """A courier took an earlier document of the same person home; the address is still kept."""
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        earlier = get_document(registration_no)
        delivery = Delivery(tenant_id=earlier.tenant_id, provider="gosend", mode="office_booking", status="delivered",
                            recipient_name="Siti Aminah", recipient_phone="+6281234500011",
                            address="Jl. Jenderal Sudirman No. 12, RT 03", kecamatan_code="64.71.06",
                            kelurahan="Klandasan Ulu", latitude=-1.2735, longitude=116.8306, pickup_code="PK-EARLY1",
                            receipt_pin="482913", fee=18000)
        db.session.add(delivery)
        db.session.flush()
        earlier.delivery_id = delivery.id
        db.session.commit()


def test_courier_in_the_chat_quotes_then_books(app, message_gateways):
    all_day_couriers(app)
    nik = make_nik(serial=777)
    add_document(app, registration_no="CH-OLD1", status="delivered", nik=nik, phone="081234500011", doc_type="kia")
    _earlier_delivery(app, "CH-OLD1")
    message = ready(app, message_gateways, "081234500011", registration_no="CH-CUR1", nik=nik, name="Siti Aminah")
    quote = tap(app, message_gateways, message, "Antar ke rumah")
    assert "Rp" in quote["text"] and "Go-Send" in quote["text"] and "PIN" in quote["text"]
    assert "surat kuasa" in quote["text"] and "Klandasan Ulu" in quote["text"]
    assert [b["title"] for b in quote["buttons"]] == ["Pesan", "Batal"]
    booked = tap(app, message_gateways, quote, "Pesan")
    assert "PIN penerimaan" in booked["text"]
    assert document(app, "CH-CUR1").status in ("delivery_requested", "with_courier")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        delivery = get_document("CH-CUR1").delivery
        assert delivery.receipt_pin in booked["text"] and delivery.recipient_phone == "+6281234500011"


def test_courier_without_a_known_address_gets_the_form_link(app, message_gateways):
    all_day_couriers(app)
    message = ready(app, message_gateways, "081234500012", registration_no="CH-NOADDR")
    answer = tap(app, message_gateways, message, "Antar ke rumah")
    link = next(word for word in answer["text"].split() if "/d/" in word)
    assert link.endswith("?ke=kurir")
    with app.test_client() as browser:
        opened = browser.get(link.replace(app.config["PUBLIC_BASE_URL"], ""))
        assert opened.status_code == 302 and opened.headers["Location"].endswith("/kurir")


def test_courier_outside_service_hours_says_so_before_any_quote(app, message_gateways):
    with app.app_context():
        tenant = get_tenant("balikpapan")
        now = utcnow().astimezone(tenant.zone)
        start = (now + timedelta(hours=2)).strftime("%H:00")
        end = (now + timedelta(hours=3)).strftime("%H:00")
        tenant.courier_settings = {**tenant.courier_settings, "service_hours": {"start": start, "end": end}}
        db.session.commit()
    if start > end:  # the window would cross midnight; couriers' hours never do
        return
    message = ready(app, message_gateways, "081234500013", registration_no="CH-HOURS")
    answer = tap(app, message_gateways, message, "Antar ke rumah")
    said = f"{start}–{end}".replace(":", ".")  # in the city's words: "Kurir tersedia 08.00–09.00 WITA"
    assert said in answer["text"] and "WITA" in answer["text"] and "Rp" not in answer["text"]
    # ...and, as the portal does, offers to take the request now and book it at the opening.
    assert "jam buka berikutnya, " in answer["text"] and f"pukul {start.replace(':', '.')} WITA" in answer["text"]
    assert "?ke=kurir" in answer["text"]


def test_the_office_sees_the_chat_and_takes_it_over(app, client, staff, message_gateways):
    message = ready(app, message_gateways, "081234500014", registration_no="CH-OFF1")
    tap(app, message_gateways, message, "status", typed=True)
    staff("operator")
    page = client.get("/balikpapan/office/documents/CH-OFF1")
    html = page.get_data(as_text=True)
    assert "+62 812-****-0014" in html and "status" in html and "081234500014" not in html
    token = csrf_token_from(html)
    assert client.post("/balikpapan/office/documents/CH-OFF1/chat/take", data={"csrf_token": token}).status_code == 302
    silent = tap(app, message_gateways, message, "status", typed=True)
    assert silent == {}  # a person has it: the bot says nothing
    reply = client.post("/balikpapan/office/documents/CH-OFF1/chat/reply",
                        data={"csrf_token": token, "text": "Selamat siang, kami bantu."})
    assert reply.status_code == 302
    drain(app)
    assert message_gateways.received("whatsapp", to="081234500014")[-1]["text"] == "Selamat siang, kami bantu."
    assert client.post("/balikpapan/office/documents/CH-OFF1/chat/hand-back", data={"csrf_token": token}).status_code == 302
    answered = tap(app, message_gateways, message, "status", typed=True)
    assert answered and answered["text"].startswith("KTP-el atas nama")  # the bot answers again
