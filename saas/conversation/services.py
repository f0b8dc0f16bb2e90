"""The chat: a citizen answers the "ready" message in WhatsApp and books a pickup time or a
courier there, without a browser.

Every message arrives through the notifications webhook with its city already bound (by the
receiving business number) and the city's own message it answers (by WhatsApp's context): the
document is found from that, never from anything typed. Each inbound message is kept once (its
wamid); replies go out through the outbox as free-form messages, which WhatsApp allows only
within 24 hours of the citizen's own last message (checked again when each one is sent).
"""
from __future__ import annotations

import time as clock
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import force_locale, format_date

from saas.conversation.models import ChatMessage, Conversation
from saas.conversation.texts import say_text
from saas.couriers import services as couriers
from saas.couriers.models import DELIVERY_STATUS_LABELS, Delivery
from saas.couriers.providers import PROVIDERS
from saas.documents.desks import RULE_LABELS
from saas.documents.lifecycle import Actor
from saas.documents.links import document_link
from saas.documents.models import DOCUMENT_TYPE_LABELS, STATUS_LABELS, Document
from saas.extensions import db
from saas.models import utcnow
from saas.notifications.models import Notification
from saas.notifications.services import (
    QUICK_REPLIES,
    SESSION_WINDOW,
    InboundMessage,
    format_slot,
    office_hours,
    resume_consent,
    say,
    withdraw_consent,
)
from saas.portal import services as portal
from saas.security import redact_niks
from saas.tenancy.scope import current_tenant

#: WhatsApp's limits on interactive messages.
MAX_LIST_ROWS, MAX_BUTTONS = 10, 3
#: How long a courier price shown in the chat may be booked as it is.
OFFER_SECONDS = 30 * 60
WORDS = {"status": "status", "cek": "status", "stop": "stop", "berhenti": "stop", "mulai": "resume",
         "start": "resume"}


# -- the conversation and its messages --------------------------------------------------------------
def conversation_with(phone: str) -> Conversation:
    """The bound city's conversation with this number, made on its first message (once, even when
    two messages race)."""
    found = db.session.scalar(sa.select(Conversation).where(Conversation.phone == phone))
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            found = Conversation(tenant_id=current_tenant.id, phone=phone)
            db.session.add(found)
    except sa.exc.IntegrityError:
        found = db.session.scalar(sa.select(Conversation).where(Conversation.phone == phone))
    return found


def window_open(conversation: Conversation | None, now: datetime | None = None) -> bool:
    """Inside WhatsApp's 24 hours since the citizen's last message?"""
    return conversation is not None and conversation.last_inbound_at is not None \
        and (now or utcnow()) - conversation.last_inbound_at < SESSION_WINDOW


def reply_still_allowed(notification: Notification) -> bool:
    """At send time: a free-form reply goes only while the citizen's window is open."""
    conversation = db.session.scalar(sa.select(Conversation).where(Conversation.phone == notification.recipient))
    return window_open(conversation)


def _document_of(conversation: Conversation, message: InboundMessage) -> Document | None:
    """The document the message is about: the one the city's answered message was about; else the
    chat's current one; else the last one the city wrote to this number about."""
    replied = message.replied_to
    if replied is not None and replied.document_id and replied.recipient == message.sender:
        return db.session.get(Document, replied.document_id)
    if conversation.document_id:
        return db.session.get(Document, conversation.document_id)
    latest = db.session.scalar(sa.select(Notification.document_id).where(
        Notification.recipient == message.sender, Notification.channel == "whatsapp",
        Notification.document_id.is_not(None)).order_by(Notification.id.desc()).limit(1))
    return db.session.get(Document, latest) if latest else None


def answer(message: InboundMessage) -> None:
    """The notifications webhook's hook: keep the message once, then answer it (unless a staff
    member has the conversation)."""
    if db.session.scalar(sa.select(ChatMessage.id).where(ChatMessage.wamid == message.wamid)) is not None:
        return  # WhatsApp delivered it again
    conversation = conversation_with(message.sender)
    document = _document_of(conversation, message)
    inbound = ChatMessage(tenant_id=current_tenant.id, conversation_id=conversation.id,
                          document_id=document.id if document else None, direction="in", wamid=message.wamid,
                          kind=message.kind[:20], reply=(message.reply or "")[:64] or None,
                          text=redact_niks(message.text) or "-", at=message.at)
    try:
        with db.session.begin_nested():
            db.session.add(inbound)
    except sa.exc.IntegrityError:
        return  # the same message, delivered twice at the same moment
    if conversation.last_inbound_at is None or message.at > conversation.last_inbound_at:
        conversation.last_inbound_at = message.at
    if document is not None:
        conversation.document_id = document.id
    if conversation.handled_by_id is not None:
        return  # a person has the conversation: the bot is silent
    language = message.replied_to.language if message.replied_to is not None else \
        (current_tenant.notification_settings or {}).get("language", "id")
    Bot(conversation, document, inbound, language).respond(intent_of(message))


def intent_of(message: InboundMessage) -> str:
    """What the citizen chose: the button or row they tapped, or a word they typed."""
    if message.reply:
        return message.reply
    said = " ".join(message.text.lower().split()).strip(" .!")
    for reply, labels in QUICK_REPLIES:
        if said in {label.lower() for label in labels.values()}:
            return reply
    return WORDS.get(said, "menu")


def record_outbound(conversation: Conversation, notification: Notification, *, user_id: int | None = None) -> None:
    db.session.add(ChatMessage(tenant_id=current_tenant.id, conversation_id=conversation.id,
                               document_id=notification.document_id, direction="out", kind="text"
                               if (notification.payload or {}).get("type") == "text" else "interactive",
                               text=notification.body, notification_id=notification.id, user_id=user_id,
                               at=utcnow()))


def text_payload(body: str) -> dict:
    return {"type": "text", "text": {"body": body, "preview_url": False}}


def buttons_payload(body: str, buttons: list[tuple[str, str]]) -> dict:
    return {"type": "interactive", "interactive": {"type": "button", "body": {"text": body}, "action": {
        "buttons": [{"type": "reply", "reply": {"id": key, "title": title[:20]}} for key, title in buttons[:MAX_BUTTONS]]}}}


def list_payload(body: str, button: str, sections: list[tuple[str, list[tuple[str, str, str]]]]) -> dict:
    return {"type": "interactive", "interactive": {"type": "list", "body": {"text": body}, "action": {
        "button": button[:20], "sections": [
            {"title": title[:24], "rows": [{"id": key, "title": row[:24], "description": about[:72]}
                                           for key, row, about in rows]} for title, rows in sections]}}}


# -- the bot --------------------------------------------------------------------------------------
class Bot:
    """One answer to one inbound message: what it says, in the citizen's language."""

    def __init__(self, conversation: Conversation, document: Document | None, inbound: ChatMessage, language: str):
        self.conversation, self.document, self.inbound, self.language = conversation, document, inbound, language
        self.said = 0

    # what it says
    def t(self, key: str, **values) -> str:
        return say_text(self.language, key, **values)

    def send(self, body: str, payload: dict | None = None) -> Notification:
        self.said += 1
        notification = say(f"{self.conversation.id}:{self.inbound.id}:{self.said}", recipient=self.conversation.phone,
                           body=body, payload=payload or text_payload(body), document=self.document,
                           language=self.language)
        record_outbound(self.conversation, notification)
        return notification

    def facts(self) -> dict:
        tenant, document = current_tenant, self.document
        with force_locale(self.language):
            values = {"city": tenant.city_name, "office_name": tenant.office.get("name", tenant.name),
                      "office_address": tenant.office.get("address", ""), "office_hours": office_hours(),
                      "help": tenant.office.get("whatsapp") or tenant.office.get("phone", "")}
            if document is not None:
                values.update(name=document.owner_name,
                              document_type=str(DOCUMENT_TYPE_LABELS.get(document.doc_type, document.doc_type)),
                              status=str(STATUS_LABELS.get(document.status, document.status)).lower())
        return values

    def choice_buttons(self) -> list[tuple[str, str]]:
        return [(reply, labels[self.language]) for reply, labels in QUICK_REPLIES[:2]] + \
            [("status", self.t("status_button"))]

    # what it answers
    def respond(self, intent: str) -> None:
        if intent in ("stop", "resume"):
            return self.consent(intent)
        if self.document is None:
            self.send(self.t("menu_unknown", **self.facts()))
            return
        kind, _sep, value = intent.partition(":")
        action = {"pickup": self.offer_slots, "booking_move": self.offer_slots, "slot": self.book,
                  "booking_cancel": self.cancel_booking, "courier": self.offer_courier,
                  "courier_order": self.order_courier, "courier_cancel": self.drop_offer, "later": self.later,
                  "status": self.status}.get(kind, self.menu)
        action(value) if kind == "slot" else action()

    def consent(self, intent: str) -> None:
        if intent == "stop":
            withdraw_consent(self.conversation.phone)
            self.send(self.t("stopped", **self.facts()))
        else:
            resume_consent(self.conversation.phone)
            self.send(self.t("resumed", **self.facts()))

    def menu(self) -> None:
        self.send(self.t("menu", **self.facts()), buttons_payload(self.t("menu", **self.facts()), self.choice_buttons()))

    def later(self) -> None:
        self.send(self.t("later", **self.facts()))

    def status(self) -> None:
        lines = [self.t("status", **self.facts())]
        booking = portal.active_booking(self.document)
        if booking is not None:
            lines.append(self.t("status_booking", slot=format_slot(booking.starts_at, self.language),
                                booking_code=booking.code))
        delivery = self.document.delivery
        if delivery is not None and self.document.status in ("delivery_requested", "with_courier"):
            with force_locale(self.language):
                lines.append(self.t("status_delivery", delivery_status=str(
                    DELIVERY_STATUS_LABELS.get(delivery.status, delivery.status)).lower()))
        self.send("\n".join(lines))

    def can_choose(self, *, moving: bool = False) -> bool:
        allowed = portal.CAN_CHOOSE + (("pickup_booked",) if moving else ())
        if self.document.status in allowed:
            return True
        self.send(self.t("not_now", **self.facts()))
        return False

    # the pickup path
    def offer_slots(self) -> None:
        if not self.can_choose(moving=True):
            return
        days = portal.available_slots()
        if not days:
            self.send(self.t("no_slots", days=int(current_tenant.pickup_settings.get("booking_days_ahead", 7))))
            return
        shown = days[:3]
        per_day = max(1, MAX_LIST_ROWS // len(shown))
        sections = []
        with force_locale(self.language):
            for day, slots in shown:
                step = max(1, len(slots) // per_day)
                picked = slots[::step][:per_day]
                sections.append((format_date(day, "EEEE, d MMM"), [
                    (f"slot:{int(slot.starts_at.timestamp())}", slot.local.strftime("%H.%M"),
                     self.t("slot_row", remaining=slot.remaining)) for slot in picked]))
        body = self.t("slots", **self.facts())
        self.send(body, list_payload(body, self.t("slots_button"), sections))

    def book(self, value: str) -> None:
        if not value.isdigit():
            return self.menu()
        if not self.can_choose(moving=True):
            return None
        starts_at = datetime.fromtimestamp(int(value), tz=UTC)
        current = portal.active_booking(self.document)
        try:
            with db.session.begin_nested():
                booking = portal.move_booking(current, starts_at, announce=None) if current is not None \
                    else portal.book_slot(self.document, starts_at, announce=None)
        except portal.PortalRefused as refused:
            with force_locale(self.language):
                self.send(self.t("refused", reason=str(refused.message)))
            return self.offer_slots()
        facts = dict(self.facts(), slot=format_slot(booking.starts_at, self.language), booking_code=booking.code)
        body = self.t("booked", **facts)
        self.send(body, buttons_payload(body, [("booking_cancel", self.t("cancel")), ("booking_move", self.t("move"))]))

    def cancel_booking(self) -> None:
        booking = portal.active_booking(self.document)
        if booking is None:
            self.send(self.t("no_booking"))
            return
        slot = format_slot(booking.starts_at, self.language)
        portal.cancel_booking(booking)
        self.send(self.t("booking_cancelled", slot=slot))

    # the courier path
    def known_destination(self) -> couriers.Destination | None:
        """The address a courier last took this person's or family's documents to, while the city
        still keeps it (it is purged after the retention period)."""
        document = self.document
        family = Document.nik_hash == document.nik_hash
        if document.kk_hash:
            family = family | (Document.kk_hash == document.kk_hash)
        delivery = db.session.scalar(sa.select(Delivery).join(Document, Document.delivery_id == Delivery.id).where(
            family, Delivery.address.is_not(None), Delivery.latitude.is_not(None), Delivery.kecamatan_code.is_not(None))
            .order_by(Delivery.id.desc()).limit(1))
        if delivery is None:
            return None
        return couriers.Destination(
            recipient_name=delivery.recipient_name or document.owner_name, recipient_phone=self.conversation.phone,
            address=delivery.address, kecamatan_code=delivery.kecamatan_code, kelurahan=delivery.kelurahan or "",
            latitude=float(delivery.latitude), longitude=float(delivery.longitude))

    def courier_form_link(self) -> str:
        return document_link(self.document, current_tenant) + "?ke=kurir"

    def offer_courier(self) -> None:
        if not self.can_choose():
            return
        settings, providers = couriers.courier_settings(), couriers.enabled_providers()
        try:
            couriers.check_service_hours()
        except couriers.DeliveryRefused as refused:
            # As on the portal: outside hours the form takes the request and books it at the opening.
            opening = couriers.next_opening() if settings.get("mode") == "office_booking" and providers else None
            with force_locale(self.language):
                body = self.t("courier_refused", reason=str(refused.message))
                if opening is not None:
                    body += "\n" + self.t("courier_next_opening", when=couriers.opening_words(opening),
                                           link=self.courier_form_link())
            self.send(body)
            return
        try:
            couriers.check_quota()
        except couriers.DeliveryRefused as refused:
            with force_locale(self.language):
                self.send(self.t("courier_refused", reason=str(refused.message)))
            return
        destination = self.known_destination()
        if destination is None or not providers or settings.get("mode") == "citizen_link":
            self.send(self.t("courier_form", link=self.courier_form_link()))
            return
        provider = providers[0]
        try:
            quoted = couriers.quote(destination, provider)  # the area and the courier's reach first
        except couriers.DeliveryRefused as refused:
            with force_locale(self.language):
                reason = str(refused.message)
            self.send(self.t("courier_refused", reason=reason) + "\n" + self.t("courier_form", link=self.courier_form_link()))
            return
        self.conversation.courier_offer = {"document_id": self.document.id, "provider": provider,
                                           "destination": destination.__dict__, "at": clock.time()}
        payer = "payer_office" if settings.get("payer") == "office" else \
            "payer_cod" if quoted.cash_on_delivery else "payer_citizen"
        with force_locale(self.language):
            rule = str(RULE_LABELS.get(current_tenant.document_settings.get("collection_rule", "owner_only")))
        courier = PROVIDERS[provider].label if provider != "manual" else \
            (settings.get("manual") or {}).get("name", PROVIDERS[provider].label)
        body = self.t("quote", **self.facts(), address=f"{destination.address}, {destination.kelurahan}".strip(", "),
                      courier=courier, fee=f"Rp{(quoted.price or 0):,}".replace(",", "."),
                      distance=f"{(quoted.distance_km or 0):.1f}".replace(".", "," if self.language == "id" else "."),
                      payer=self.t(payer), rule=rule)
        self.send(body, buttons_payload(body, [("courier_order", self.t("order")), ("courier_cancel", self.t("cancel"))]))

    def order_courier(self) -> None:
        offer = self.conversation.courier_offer or {}
        if offer.get("document_id") != self.document.id or clock.time() - offer.get("at", 0) > OFFER_SECONDS:
            self.send(self.t("offer_expired"))
            return
        if not self.can_choose():
            return
        destination = couriers.Destination(**offer["destination"])
        try:
            # The courier is asked for its price before the savepoint: no HTTP call inside a
            # transaction (on SQLite a snapshot held across it meets another writer's commit).
            quoted = couriers.quote(destination, offer["provider"])
            with db.session.begin_nested():
                delivery = couriers.request_delivery(couriers.family_of(self.document), destination, offer["provider"],
                                                     quoted, Actor.citizen())
        except couriers.DeliveryRefused as refused:
            with force_locale(self.language):
                self.send(self.t("courier_refused", reason=str(refused.message)))
            return
        self.conversation.courier_offer = None
        self.send(self.t("ordered", **self.facts(), receipt_pin=delivery.receipt_pin))

    def drop_offer(self) -> None:
        self.conversation.courier_offer = None
        self.send(self.t("order_dropped"))


# -- the office --------------------------------------------------------------------------------
def conversation_of(document: Document) -> Conversation | None:
    """The chat about this document: the one whose messages name it, else the owner's number's."""
    found = db.session.scalar(sa.select(Conversation).join(ChatMessage, ChatMessage.conversation_id == Conversation.id)
                              .where(ChatMessage.document_id == document.id).order_by(ChatMessage.id.desc()).limit(1))
    return found or db.session.scalar(sa.select(Conversation).where(Conversation.phone == document.phone))


def messages_of(conversation: Conversation) -> list[ChatMessage]:
    return list(db.session.scalars(sa.select(ChatMessage).where(ChatMessage.conversation_id == conversation.id)
                                   .order_by(ChatMessage.at, ChatMessage.id).limit(200)))


def take_over(conversation: Conversation, user) -> None:
    """A staff member takes the chat: from now on the bot stays silent."""
    conversation.handled_by_id, conversation.handled_since = user.id, utcnow()


def hand_back(conversation: Conversation) -> None:
    conversation.handled_by_id, conversation.handled_since = None, None


class ChatClosed(Exception):
    """WhatsApp's window is shut: only an approved template may go now."""


def staff_reply(conversation: Conversation, user, text: str) -> Notification:
    """What a staff member who has the chat writes to the citizen (NIKs taken out)."""
    if not window_open(conversation):
        raise ChatClosed
    body = redact_niks(text.strip())[:1000]
    count = db.session.scalar(sa.select(sa.func.count()).select_from(ChatMessage)
                              .where(ChatMessage.conversation_id == conversation.id)) or 0
    document = db.session.get(Document, conversation.document_id) if conversation.document_id else None
    language = (current_tenant.notification_settings or {}).get("language", "id")
    notification = say(f"{conversation.id}:staff:{count + 1}:{int(clock.time() * 1000)}", recipient=conversation.phone,
                       body=body, payload=text_payload(body), document=document, language=language)
    record_outbound(conversation, notification, user_id=user.id)
    return notification
