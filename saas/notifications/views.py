"""Gateway receipts, and the office's view of messages: per document, dead letters, templates."""
from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timezone

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from saas.accounts.access import staff_required
from saas.extensions import csrf, db, limiter
from saas.forms_input import callback_moment
from saas.notifications import services
from saas.notifications.channels.sms import report_token
from saas.notifications.channels.whatsapp import app_secret
from saas.notifications.models import EVENT_LABELS, Notification
from saas.notifications.templates import EVENTS, LANGUAGES
from saas.office.forms import EmptyForm
from saas.office.shell import office_blueprint
from saas.sandbox_registry import stand_ins_allowed
from saas.tenancy.scope import current_tenant, tenant_bound

webhooks = Blueprint("message_webhooks", __name__, url_prefix="/webhooks/messages")
csrf.exempt(webhooks)
office = office_blueprint("office_messages", __name__, "/messages")



def messages_panel(document):
    """The office document page's panel of the messages sent to the citizen."""
    return render_template("notifications/_document_messages.html",
                           messages=services.document_messages(document))


def _apply(channel: str, message_id: str | None, opaque: str | None, status: str, *, error=None, at=None) -> bool:
    notification = services.find_for_receipt(channel, message_id, opaque)
    if notification is None:
        return False
    with tenant_bound(notification.tenant):
        services.apply_receipt(notification, status, provider_message_id=message_id, error=error, at=at)
        db.session.commit()
    return True


# -- the shape of a WhatsApp status webhook: checked whole before anything is applied ---------------
def _unix_seconds(value) -> None:
    try:
        if isinstance(value, bool) or not str(value).isdigit():
            raise ValueError
        callback_moment(int(value))
    except ValueError:
        raise ValidationError("not a Unix timestamp in range") from None


class _Part(Schema):
    class Meta:
        unknown = EXCLUDE


class _ReceiptError(_Part):
    code = fields.Raw(load_default=None)
    title = fields.String(load_default=None, allow_none=True)
    message = fields.String(load_default=None, allow_none=True)


class _ReceiptStatus(_Part):
    id = fields.String(load_default=None, allow_none=True)
    status = fields.String(load_default="")
    timestamp = fields.Raw(load_default=None, allow_none=True, validate=_unix_seconds)
    biz_opaque_callback_data = fields.String(load_default=None, allow_none=True)
    errors = fields.List(fields.Nested(_ReceiptError), load_default=list, allow_none=True)


class _Said(_Part):
    body = fields.String(load_default="")


class _Tapped(_Part):
    """A template's quick-reply button (``payload``, ``text``) or an interactive reply (``id``, ``title``)."""

    payload = fields.String(load_default=None, allow_none=True)
    text = fields.String(load_default=None, allow_none=True)
    id = fields.String(load_default=None, allow_none=True)
    title = fields.String(load_default=None, allow_none=True)


class _Interactive(_Part):
    type = fields.String(load_default="")
    button_reply = fields.Nested(_Tapped, load_default=None, allow_none=True)
    list_reply = fields.Nested(_Tapped, load_default=None, allow_none=True)


class _Context(_Part):
    id = fields.String(load_default=None, allow_none=True)


class _Inbound(_Part):
    id = fields.String(required=True, validate=validate.Length(1, 160))
    sender = fields.String(data_key="from", required=True, validate=validate.Regexp(r"^\d{8,15}$"))
    timestamp = fields.Raw(load_default=None, allow_none=True, validate=_unix_seconds)
    type = fields.String(load_default="")
    text = fields.Nested(_Said, load_default=None, allow_none=True)
    button = fields.Nested(_Tapped, load_default=None, allow_none=True)
    interactive = fields.Nested(_Interactive, load_default=None, allow_none=True)
    context = fields.Nested(_Context, load_default=None, allow_none=True)


class _Metadata(_Part):
    phone_number_id = fields.String(load_default="")


class _ReceiptValue(_Part):
    statuses = fields.List(fields.Nested(_ReceiptStatus), load_default=list, allow_none=True)
    metadata = fields.Nested(_Metadata, load_default=dict, allow_none=True)
    messages = fields.List(fields.Nested(_Inbound), load_default=list, allow_none=True)


class _ReceiptChange(_Part):
    value = fields.Nested(_ReceiptValue, load_default=dict, allow_none=True)


class _ReceiptEntry(_Part):
    changes = fields.List(fields.Nested(_ReceiptChange), load_default=list, allow_none=True)


class WhatsAppReceipt(_Part):
    """Meta's envelope, as far as we read it; a part of the wrong type is a 400, not a 500."""

    object = fields.String(required=True, validate=validate.Equal("whatsapp_business_account"))
    entry = fields.List(fields.Nested(_ReceiptEntry), load_default=list, allow_none=True)


@webhooks.get("/whatsapp")
def whatsapp_verify():
    """Meta's subscription handshake: echo the challenge when the verify token is ours."""
    expected = current_app.config.get("WHATSAPP_VERIFY_TOKEN") or ("sandbox-verify-token" if stand_ins_allowed() else "")
    if expected and request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
            request.args.get("hub.verify_token", ""), expected):
        return request.args.get("hub.challenge", ""), 200, {"Content-Type": "text/plain"}
    return "forbidden", 403


@webhooks.post("/whatsapp")
@limiter.limit("20000 per minute")
def whatsapp_statuses():
    """Status receipts (sent, delivered, read, failed), about three per message, kept cheap; and
    citizens' own messages (replies to buttons and lists, text), each routed to the city that owns
    the receiving business number and handed to whoever answers them."""
    raw = request.get_data()
    secret = app_secret()
    signature = request.headers.get("X-Hub-Signature-256", "")
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if not secret or not signature or not hmac.compare_digest(signature, expected):
        return jsonify({"error": "unauthorized"}), 401
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return jsonify({"error": "not a WhatsApp Business webhook"}), 400
    try:
        payload = WhatsAppReceipt().load(payload)
    except ValidationError as exc:
        return jsonify({"error": "invalid", "message": "not the shape of a WhatsApp status webhook",
                        "fields": exc.messages}), 400
    applied = received = 0
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            if value.get("messages"):
                received += _receive(value["messages"], (value.get("metadata") or {}).get("phone_number_id", ""))
            for status in value.get("statuses") or []:
                at = None
                if status.get("timestamp") is not None:
                    at = datetime.fromtimestamp(int(status["timestamp"]), tz=timezone.utc)
                errors = status.get("errors") or []
                error = "; ".join(f"{e.get('code')}: {e.get('title') or e.get('message')}" for e in errors) or None
                if _apply("whatsapp", status.get("id"), status.get("biz_opaque_callback_data"),
                          status.get("status", ""), error=error, at=at):
                    applied += 1
    return jsonify({"applied": applied, "received": received})


def _inbound(message: dict) -> services.InboundMessage:
    kind, reply, text = message.get("type") or "", None, ""
    if kind == "text":
        text = (message.get("text") or {}).get("body") or ""
    elif kind == "button":
        button = message.get("button") or {}
        reply, text = button.get("payload"), button.get("text") or ""
    elif kind == "interactive":
        interactive = message.get("interactive") or {}
        tapped = interactive.get("button_reply") or interactive.get("list_reply") or {}
        reply, text = tapped.get("id"), tapped.get("title") or ""
    at = datetime.fromtimestamp(int(message["timestamp"]), tz=timezone.utc) if message.get("timestamp") else None
    return services.InboundMessage(
        wamid=message["id"], sender="+" + message["sender"], kind=kind, reply=reply, text=text[:4096],
        at=at or services.utcnow(), replied_to=services.message_replied_to((message.get("context") or {}).get("id")))


def _receive(messages: list[dict], phone_number_id: str) -> int:
    """Citizens' messages to one business number: to its city, or nowhere."""
    tenant = services.city_of_business_number(phone_number_id)
    db.session.commit()  # a number learnt is kept even if a handler fails
    if tenant is None:
        return 0
    handled = 0
    for message in messages:
        with tenant_bound(tenant):
            services.receive(_inbound(message))
            db.session.commit()
        handled += 1
    return handled


@webhooks.post("/sms")
def sms_reports():
    given, token = request.headers.get("Authorization", ""), report_token()
    if not token or not hmac.compare_digest(given, f"Bearer {token}"):
        return jsonify({"error": "unauthorized"}), 401
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body.get("messageId"):
        return jsonify({"error": "expected {messageId, status}"}), 400
    status = {"DELIVERED": "delivered", "FAILED": "failed"}.get(str(body.get("status", "")).upper())
    if status is None:
        return jsonify({"error": "unknown status"}), 400
    return jsonify({"applied": _apply("sms", str(body["messageId"]), None, status)})


# -- the office ---------------------------------------------------------------------------------
@office.get("/")
@staff_required("supervisor")
def dead():
    """Every message that could not be sent, filtered by kind and day, paged, resent in a batch."""
    event = request.args.get("event") or None
    if event not in EVENT_LABELS:
        event = None
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = None
    before = request.args.get("before", "")
    page = services.dead_messages(event=event, day=day,
                                  before_id=int(before) if before.isdigit() and len(before) < 19 else None)
    filters = {k: v for k, v in {"event": event, "day": day.isoformat() if day else None}.items() if v}
    return render_template("notifications/dead.html", tenant=current_tenant, page=page, filters=filters,
                           event_labels=EVENT_LABELS, form=EmptyForm())


@office.post("/<int:notification_id>/resend")
@staff_required("supervisor")
def resend(notification_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    notification = db.get_or_404(Notification, notification_id)
    created = services.resend(notification)
    db.session.commit()
    if created is None:
        flash(_("No channel of this city can reach this person."), "error")
    else:
        flash(_("The message will be sent again (%(channel)s).", channel=created.channel), "success")
    return redirect(request.referrer or url_for("office_messages.dead"))


@office.post("/resend")
@staff_required("supervisor")
def resend_selected():
    if not EmptyForm().validate_on_submit():
        abort(400)
    ids = [int(x) for x in request.form.getlist("notification_id") if x.isdigit() and len(x) < 19][:200]
    if not ids:
        flash(_("Tick the messages to send again first."), "warning")
        return redirect(request.referrer or url_for("office_messages.dead"))
    again = unreachable = 0
    for notification in db.session.scalars(sa.select(Notification).where(
            Notification.id.in_(ids), Notification.status == "dead")):
        if services.resend(notification) is None:
            unreachable += 1
        else:
            again += 1
    db.session.commit()
    flash(_("%(count)d message(s) will be sent again.", count=again), "success")
    if unreachable:
        flash(_("%(count)d message(s) have no channel that can reach the person.", count=unreachable), "error")
    return redirect(request.referrer or url_for("office_messages.dead"))


@office.get("/templates")
@staff_required("supervisor")
def templates():
    previews = [(event, {lang: services.preview(event, lang) for lang in LANGUAGES}) for event in EVENTS]
    return render_template("notifications/templates.html", tenant=current_tenant, previews=previews, events=EVENTS)
