"""WhatsApp Business Cloud API imitation: template sends and signed status webhooks.

Only what Antar needs, but with the real shapes, codes and quirks: Graph error bodies, templates
only for business-initiated messages, parameters that may not contain new lines, ``sent`` /
``delivered`` / ``read`` as three separate webhooks signed with the app secret.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections import deque

from flask import jsonify, request

from saas.sandboxes.messages import messages_bp, receipts, store
from saas.sandboxes.messages.admin import admin_endpoint, json_body

GRAPH_VERSION = re.compile(r"v\d+\.\d+")
RECIPIENT = re.compile(r"62\d{8,13}")
PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
STATUSES = ("sent", "delivered", "read", "failed")
COMPONENT_TYPES = ("header", "body", "button", "footer")
UNDELIVERABLE = {"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
                 "error_data": {"details": "Message Undeliverable."}}


class GraphError(Exception):
    """A Graph API error response, and why it is recorded as rejected."""

    def __init__(self, http_status: int, code: int, title: str, details: str | None = None, *,
                 subcode: int | None = None, error_type: str = "OAuthException",
                 message: str | None = None, reason: str):
        super().__init__(title)
        self.http_status, self.code, self.title = http_status, code, title
        self.details = details or title
        self.subcode, self.error_type, self.reason = subcode, error_type, reason
        self.message = message or f"(#{code}) {title}"

    def response(self):
        error = {"message": self.message, "type": self.error_type, "code": self.code,
                 "error_data": {"messaging_product": "whatsapp", "details": self.details},
                 "fbtrace_id": secrets.token_urlsafe(20)[:27]}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        response = jsonify({"error": error})
        response.status_code = self.http_status
        if self.http_status == 401:
            response.headers["WWW-Authenticate"] = (
                f'OAuth "Facebook Platform" "invalid_token" "{self.message}"')
        return response


def _invalid(code: int, title: str, details: str, reason: str = "invalid_request") -> GraphError:
    return GraphError(400, code, title, details, reason=reason)


def _parameter_invalid(details: str) -> GraphError:
    return _invalid(131009, "Parameter value is not valid", details)


def _authenticate(phone_number_id: str) -> store.WhatsAppNumber:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GraphError(401, 190, "Invalid OAuth access token",
                         message="Invalid OAuth access token - Cannot parse access token",
                         reason="unauthorized")
    token = token.strip().encode()
    with store.lock:
        numbers = dict(store.state.whatsapp_numbers)
    if not any(hmac.compare_digest(token, n.access_token.encode()) for n in numbers.values()):
        raise GraphError(401, 190, "Invalid OAuth access token",
                         message="Invalid OAuth access token - Cannot parse access token",
                         reason="unauthorized")
    number = numbers.get(phone_number_id)
    if number is None:
        raise GraphError(400, 100, "Unsupported post request",
                         message=(f"Unsupported post request. Object with ID '{phone_number_id}' does "
                                  "not exist, cannot be loaded due to missing permissions, or does not "
                                  "support this operation."),
                         subcode=33, error_type="GraphMethodException", reason="unknown_phone_number_id")
    if not hmac.compare_digest(token, number.access_token.encode()):
        raise GraphError(401, 190, "Invalid OAuth access token",
                         message="Error validating access token: the token does not belong to this "
                                 "phone number.", reason="unauthorized")
    return number


def _parameter_value(section: str, parameter) -> str:
    if not isinstance(parameter, dict):
        raise _parameter_invalid(f"{section}: each parameter must be an object")
    kind = parameter.get("type")
    if kind == "text":
        text = parameter.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _invalid(131008, "Required parameter is missing",
                           f"{section}: parameter of type text is missing its text")
        if section != "button" and ("\n" in text or "\t" in text or "     " in text):
            raise _invalid(132018, "There was an issue with the parameters in your template.",
                           "Param text cannot have new-line/tab characters or more than 4 "
                           "consecutive spaces")
        return text
    if kind in ("currency", "date_time"):
        fallback = (parameter.get(kind) or {}).get("fallback_value")
        if not isinstance(fallback, str) or not fallback:
            raise _invalid(131008, "Required parameter is missing",
                           f"{section}: {kind} parameter needs a fallback_value")
        return fallback
    if kind in ("image", "document", "video"):
        media = parameter.get(kind)
        if not isinstance(media, dict) or not (media.get("link") or media.get("id")):
            raise _invalid(131008, "Required parameter is missing", f"{section}: {kind} needs a link or id")
        return f"[{kind}]"
    if kind == "payload":
        return str(parameter.get("payload", ""))
    raise _parameter_invalid(f"{section}: unsupported parameter type {kind!r}")


def _too_long(value, most: int) -> bool:
    return not isinstance(value, str) or not value.strip() or len(value) > most


def _session_content(payload: dict, kind: str) -> dict:
    """A free-form message's content, checked as the Cloud API checks it."""
    if kind == "text":
        body = (payload.get("text") or {}).get("body") if isinstance(payload.get("text"), dict) else None
        if _too_long(body, 4096):
            raise _parameter_invalid("text.body is required, at most 4096 characters")
        return {"kind": "text", "text": body}
    interactive = payload.get("interactive")
    if not isinstance(interactive, dict) or interactive.get("type") not in ("button", "list"):
        raise _parameter_invalid("interactive.type must be button or list")
    body = (interactive.get("body") or {}).get("text") if isinstance(interactive.get("body"), dict) else None
    action = interactive.get("action") if isinstance(interactive.get("action"), dict) else {}
    if interactive["type"] == "button":
        if _too_long(body, 1024):
            raise _parameter_invalid("interactive.body.text is required, at most 1024 characters")
        buttons = action.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            raise _parameter_invalid("action.buttons: 1 to 3 reply buttons")
        shown = []
        for button in buttons:
            reply = button.get("reply") if isinstance(button, dict) and button.get("type") == "reply" else None
            if not isinstance(reply, dict) or _too_long(reply.get("id"), 256) or _too_long(reply.get("title"), 20):
                raise _parameter_invalid("each button is {type: reply, reply: {id (256), title (20)}}")
            shown.append({"id": reply["id"], "title": reply["title"]})
        if len({b["id"] for b in shown}) != len(shown) or len({b["title"] for b in shown}) != len(shown):
            raise _parameter_invalid("button ids and titles must be unique")
        return {"kind": "interactive", "text": body, "buttons": shown}
    if _too_long(body, 4096):
        raise _parameter_invalid("interactive.body.text is required, at most 4096 characters")
    if _too_long(action.get("button"), 20):
        raise _parameter_invalid("action.button is required, at most 20 characters")
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        raise _parameter_invalid("action.sections: 1 to 10 sections")
    shown, rows_seen = [], set()
    for section in sections:
        rows = section.get("rows") if isinstance(section, dict) else None
        title = section.get("title") if isinstance(section, dict) else None
        if len(sections) > 1 and _too_long(title, 24):
            raise _parameter_invalid("each section needs a title of at most 24 characters")
        if not isinstance(rows, list) or not rows:
            raise _parameter_invalid("each section needs rows")
        listed = []
        for row in rows:
            if not isinstance(row, dict) or _too_long(row.get("id"), 200) or _too_long(row.get("title"), 24) \
                    or len(row.get("description") or "") > 72:
                raise _parameter_invalid("each row is {id (200), title (24), description (72)}")
            rows_seen.add(row["id"])
            listed.append({"id": row["id"], "title": row["title"], "description": row.get("description") or ""})
        shown.append({"title": title or "", "rows": listed})
    total = sum(len(section["rows"]) for section in shown)
    if total > 10:
        raise _parameter_invalid(f"a list holds at most 10 rows; got {total}")
    if len(rows_seen) != total:
        raise _parameter_invalid("row ids must be unique")
    return {"kind": "interactive", "text": body, "list": {"button": action["button"], "sections": shown}}


def _quick_replies(name: str, language: str, components: list) -> list[dict]:
    """The template's quick-reply buttons: labels as approved, payloads as this send set them."""
    with store.lock:
        labels = list(store.state.whatsapp_template_buttons.get((name, language), []))
    payloads = {}
    for component in components:
        if isinstance(component, dict) and component.get("type") == "button" \
                and component.get("sub_type") == "quick_reply":
            index = str(component.get("index", ""))
            if not index.isdigit():
                raise _parameter_invalid("a quick_reply button needs its index")
            parameters = component.get("parameters") or [{}]
            payloads[int(index)] = str(parameters[0].get("payload", ""))
    count = max(len(labels), max(payloads, default=-1) + 1)
    return [{"title": labels[i] if i < len(labels) else payloads.get(i, f"Button {i + 1}"),
             "payload": payloads.get(i, labels[i] if i < len(labels) else "")} for i in range(count)]


def _validate(payload, phone_number_id: str = "") -> dict:
    """The accepted message's content, or the Graph error the real API would answer."""
    if not isinstance(payload, dict):
        raise _invalid(100, "Invalid parameter", "The request body must be a JSON object")
    if payload.get("messaging_product") != "whatsapp":
        raise _invalid(100, "Invalid parameter",
                       f"Param messaging_product must be one of {{WHATSAPP}} - got "
                       f"{payload.get('messaging_product')!r}")
    if payload.get("recipient_type", "individual") != "individual":
        raise _parameter_invalid("recipient_type must be individual")
    to = payload.get("to")
    if not isinstance(to, str) or not RECIPIENT.fullmatch(to):
        raise _parameter_invalid(f"Invalid 'to' parameter {to!r}: use 62 followed by the number, "
                                 "digits only")
    kind = payload.get("type", "text")
    if kind != "template":
        with store.lock:
            open_window = store.window_open(phone_number_id, to)
        if not open_window:
            raise _invalid(131047, "Re-engagement message",
                           "Message failed to send because more than 24 hours have passed since the "
                           "customer last replied to this number.", reason="not_a_template")
        if kind not in ("text", "interactive"):
            raise _parameter_invalid(f"unsupported message type {kind!r}")
        return {"to": to, **_session_content(payload, kind)}
    template = payload.get("template")
    template = template if isinstance(template, dict) else {}
    name = template.get("name")
    language = template.get("language")
    code = language.get("code") if isinstance(language, dict) else None
    if not isinstance(name, str) or not name.strip() or not isinstance(code, str) or not code.strip():
        raise _invalid(132001, "Template name does not exist in the translation",
                       f"template name ({name}) does not exist in {code}", reason="unknown_template")
    components = template.get("components", [])
    if not isinstance(components, list):
        raise _parameter_invalid("template.components must be a list")
    values: dict[str, list[str]] = {section: [] for section in COMPONENT_TYPES}
    for component in components:
        section = component.get("type") if isinstance(component, dict) else None
        if section not in COMPONENT_TYPES:
            raise _parameter_invalid(f"Invalid component type {section!r}")
        parameters = component.get("parameters", [])
        if not isinstance(parameters, list):
            raise _parameter_invalid(f"{section}: parameters must be a list")
        checked = [_parameter_value(section, p) for p in parameters]
        if section == "button" and component.get("sub_type") == "quick_reply":
            continue  # a quick reply's payload comes back when tapped; the phone shows its label
        values[section] += checked
    return {"to": to, "template": name, "language": code, "parameters": values["body"],
            "header_parameters": values["header"], "button_parameters": values["button"],
            "components": components, "text": _preview(name, code, values),
            "quick_replies": _quick_replies(name, code, components)}


def _preview(name: str, language: str, values: dict[str, list[str]]) -> str:
    """What the phone shows: the declared template filled in, else its name and parameters."""
    with store.lock:
        templates = dict(store.state.whatsapp_templates)
    body = values["body"]
    if not templates:
        shown = values["header"] + body + values["button"]
        return f"{name}: " + " · ".join(shown) if shown else name
    text = templates.get((name, language))
    if text is None:
        raise _invalid(132001, "Template name does not exist in the translation",
                       f"template name ({name}) does not exist in {language}", reason="unknown_template")
    expected = len({int(n) for n in PLACEHOLDER.findall(text)})
    if len(body) != expected:
        raise _invalid(132000, "Number of parameters does not match the expected number of params",
                       f"body: number of localizable_params ({len(body)}) does not match the "
                       f"expected number of params ({expected})", reason="parameter_count")
    rendered = PLACEHOLDER.sub(lambda m: body[int(m.group(1)) - 1], text)
    return "\n".join([rendered, *values["button"]])


def _apply_failure_mode() -> None:
    failure = store.take_failure("whatsapp")
    if failure is None:
        return
    if failure.mode == "slow":
        store.hold(failure.timeout_seconds)
        return
    if failure.mode == "server_error":
        raise GraphError(500, 131000, "Something went wrong",
                         "Message failed to send due to an unknown error.", reason="server_error")
    if failure.mode == "timeout":
        store.hold(failure.timeout_seconds)
        raise GraphError(504, 2, "Service temporarily unavailable", reason="timeout")
    if failure.mode == "rate_limit":
        raise GraphError(429, 130429, "Rate limit hit",
                         "Cloud API message throughput has been reached.", reason="rate_limit")
    raise _undeliverable()


def _undeliverable() -> GraphError:
    return _invalid(131026, "Message undeliverable",
                    "Message Undeliverable: the recipient is not a WhatsApp user or cannot receive "
                    "this message.", reason="invalid_number")


def _check_pacing(phone_number_id: str, to: str) -> None:
    """The optional throughput and per-recipient limits; call with the store locked."""
    state, now = store.state, time.monotonic()
    window = state.whatsapp_sends.setdefault(phone_number_id, deque())
    if state.whatsapp_per_second:
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= state.whatsapp_per_second:
            raise GraphError(429, 130429, "Rate limit hit",
                             "Cloud API message throughput has been reached.", reason="rate_limit")
    last = state.whatsapp_last_to.get((phone_number_id, to))
    if state.whatsapp_pair_seconds and last is not None and now - last < state.whatsapp_pair_seconds:
        raise GraphError(429, 131056, "(Business Account, Consumer Account) pair rate limit hit",
                         "Message failed to send because there were too many messages sent from "
                         "this phone number to the same phone number in a short period of time.",
                         reason="pair_rate_limit")
    if state.whatsapp_per_second:
        window.append(now)
    if state.whatsapp_pair_seconds:
        state.whatsapp_last_to[(phone_number_id, to)] = now


def _new_wamid(to: str) -> str:
    """Shaped like Meta's: base64 of the recipient and a random hex id."""
    raw = (b"\x1c\x18" + bytes([len(to)]) + to.encode() + b"\x15\x02\x00\x11\x18\x12"
           + secrets.token_hex(9).upper().encode() + b"\x00")
    return "wamid." + base64.b64encode(raw).decode()


@messages_bp.post("/whatsapp/<version>/<phone_number_id>/messages")
def send_message(version: str, phone_number_id: str):
    payload = request.get_json(silent=True)
    to = payload.get("to") if isinstance(payload, dict) else None
    try:
        if not GRAPH_VERSION.fullmatch(version):
            raise _invalid(2500, "Unknown path components", f"Unknown path components: /{version}",
                           reason="unknown_version")
        _authenticate(phone_number_id)
        content = _validate(payload, phone_number_id)
        opaque = payload.get("biz_opaque_callback_data")
        if opaque is not None:
            if not isinstance(opaque, str) or len(opaque) > 512:
                raise _parameter_invalid("biz_opaque_callback_data must be a string of at most 512 characters")
            # Echoed in every status webhook: lets a sender recognise a message it lost track of.
            content["biz_opaque_callback_data"] = opaque
        _apply_failure_mode()
        if store.always_invalid(to):
            raise _undeliverable()
        wamid = _new_wamid(to)
        with store.lock:
            _check_pacing(phone_number_id, to)
            store.record_message("whatsapp", wamid, content.pop("to"), [to],
                                 phone_number_id=phone_number_id, api_version=version, **content)
    except GraphError as error:
        store.record_rejection("whatsapp", error.reason, to=to, phone_number_id=phone_number_id,
                               http_status=error.http_status, code=error.code, details=error.details)
        return error.response()
    receipts.schedule([_status_callback(wamid, status) for status in ("sent", "delivered", "read")])
    return {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid, "message_status": "accepted"}]}


def webhook_body(payload: dict) -> bytes:
    """Compact JSON with non-ASCII and slashes escaped, as Meta sends it: only the raw bytes verify."""
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode()


def _status_callback(wamid: str, status: str, errors: list | None = None) -> receipts.Callback:
    def build():
        with store.lock:
            message = store.state.by_id[wamid]
            number = store.state.whatsapp_numbers.get(message["phone_number_id"])
        if number is None or not number.webhook_url:
            return None, {}, b""
        now = int(time.time())
        entry = {"id": wamid, "status": status, "timestamp": str(now), "recipient_id": message["to"]}
        if message.get("biz_opaque_callback_data"):
            entry["biz_opaque_callback_data"] = message["biz_opaque_callback_data"]
        if status in ("sent", "delivered"):
            conversation = {"id": hashlib.md5(wamid.encode()).hexdigest(), "origin": {"type": "utility"}}
            if status == "sent":
                conversation["expiration_timestamp"] = str(now + 24 * 3600)
            entry["conversation"] = conversation
            entry["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "utility",
                                "type": "regular"}
        if status == "failed":
            entry["errors"] = errors or [dict(UNDELIVERABLE)]
        payload = {"object": "whatsapp_business_account", "entry": [{"id": number.waba_id, "changes": [{
            "value": {"messaging_product": "whatsapp",
                      "metadata": {"display_phone_number": number.display_phone_number,
                                   "phone_number_id": number.phone_number_id},
                      "statuses": [entry]},
            "field": "messages"}]}]}
        body = webhook_body(payload)
        signature = hmac.new(number.app_secret.encode(), body, hashlib.sha256).hexdigest()
        return number.webhook_url, {"Content-Type": "application/json",
                                    "X-Hub-Signature-256": f"sha256={signature}",
                                    "User-Agent": "facebookexternalua"}, body

    return receipts.callback("whatsapp", wamid, status, build)


def send_whatsapp_status(wamid: str, status: str, errors: list[dict] | None = None) -> dict | None:
    """Send one status webhook for a message now, whatever the receipt mode (to provoke a
    ``failed`` receipt, a duplicate or an out-of-order one); its log entry."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    if errors is not None and not (isinstance(errors, list) and all(isinstance(e, dict) for e in errors)):
        raise ValueError("errors must be a list of objects")
    found = store.message(wamid)
    if found is None or found["channel"] != "whatsapp":
        raise LookupError(f"no WhatsApp message {wamid}")
    return receipts.fire(_status_callback(wamid, status, errors))


# -- admin ------------------------------------------------------------------------------------
@messages_bp.put("/whatsapp/_admin/numbers/<phone_number_id>")
@admin_endpoint
def admin_register_number(phone_number_id: str):
    body = json_body()
    store.register_whatsapp(phone_number_id, body.get("access_token"), body.get("app_secret"),
                            body.get("webhook_url"), display_phone_number=body.get("display_phone_number"),
                            waba_id=body.get("waba_id"))
    return {"phone_number_id": phone_number_id, "registered": True}


@messages_bp.put("/whatsapp/_admin/templates/<name>")
@admin_endpoint
def admin_register_template(name: str):
    body = json_body()
    store.register_whatsapp_template(name, body.get("language"), body.get("body"))
    return {"name": name, "language": body.get("language"), "registered": True}


@messages_bp.put("/whatsapp/_admin/templates/<name>/buttons")
@admin_endpoint
def admin_register_template_buttons(name: str):
    body = json_body()
    store.register_whatsapp_template_buttons(name, body.get("language"), body.get("buttons"))
    return {"name": name, "language": body.get("language"), "buttons": body.get("buttons")}


@messages_bp.put("/whatsapp/_admin/limits")
@admin_endpoint
def admin_limits():
    body = json_body()
    store.set_whatsapp_limits(per_second=body.get("per_second"), pair_seconds=body.get("pair_seconds"))
    return {"per_second": body.get("per_second"), "pair_seconds": body.get("pair_seconds")}


@messages_bp.post("/whatsapp/_admin/statuses")
@admin_endpoint
def admin_send_status():
    body = json_body()
    entry = send_whatsapp_status(body.get("id"), body.get("status"), body.get("errors"))
    return {"receipt": entry}


# -- the citizen's side: what they send to the business ------------------------------------------
def send_inbound(phone_number_id: str, sender: str, kind: str, *, text: str | None = None,
                 reply_id: str | None = None, title: str | None = None, context: str | None = None,
                 list_reply: bool = False) -> dict:
    """A person writes to a business number: a ``text``, a template's quick reply (``button``:
    ``reply_id`` is its payload, ``title`` its label) or an ``interactive`` button or list reply;
    ``context`` is the wamid of the business message answered. Delivered to the business's
    webhook at once, signed as Meta signs it; the record, with the HTTP status it got."""
    with store.lock:
        number = store.state.whatsapp_numbers.get(phone_number_id)
    if number is None:
        raise LookupError(f"no WhatsApp business number {phone_number_id}")
    person = store.recipient_key(sender)
    if not RECIPIENT.fullmatch(person):
        raise ValueError("sender: 62 followed by the number")
    now = int(time.time())
    message = {"from": person, "id": _new_wamid(person), "timestamp": str(now), "type": kind}
    if context:
        message["context"] = {"from": number.display_phone_number, "id": context}
    if kind == "text":
        if _too_long(text, 4096):
            raise ValueError("text: 1 to 4096 characters")
        message["text"] = {"body": text}
        shown = text
    elif kind == "button":
        message["button"] = {"payload": reply_id or title or "", "text": title or reply_id or ""}
        shown = title or reply_id or ""
    elif kind == "interactive":
        reply = {"id": reply_id or "", "title": title or ""}
        message["interactive"] = {"type": "list_reply", "list_reply": reply} if list_reply else \
            {"type": "button_reply", "button_reply": reply}
        shown = title or reply_id or ""
    else:
        raise ValueError("kind must be text, button or interactive")
    payload = {"object": "whatsapp_business_account", "entry": [{"id": number.waba_id, "changes": [{
        "value": {"messaging_product": "whatsapp",
                  "metadata": {"display_phone_number": number.display_phone_number,
                               "phone_number_id": number.phone_number_id},
                  "contacts": [{"profile": {"name": "Sandbox"}, "wa_id": person}],
                  "messages": [message]},
        "field": "messages"}]}]}
    body = webhook_body(payload)
    record = store.record_inbound({"channel": "whatsapp", "direction": "in", "status": "sent", "id": message["id"],
                                   "from": person,
                                   "recipient": person, "recipients": [person], "time": store.now_iso(),
                                   "phone_number_id": phone_number_id, "kind": kind, "text": shown,
                                   "context": context, "body": body.decode()}, at=now)
    record["http_status"] = deliver(number, body)
    return record


def deliver(number: store.WhatsAppNumber, body: bytes) -> int | None:
    """POST one webhook to the business now (the same transport as receipts); its HTTP status."""
    if not number.webhook_url:
        return None
    signature = hmac.new(number.app_secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={signature}",
               "User-Agent": "facebookexternalua"}
    with store.lock:
        transport = store.state.transport or receipts.post_with_requests
    try:
        return transport(number.webhook_url, body, headers)
    except Exception:  # the business is down: the person's message is still on the phone
        return None


@messages_bp.post("/whatsapp/_admin/inbound")
@admin_endpoint
def admin_inbound():
    """A person's message, for tests and scripts: ``{phone_number_id, from, type, text | id, title, context, list}``."""
    body = json_body()
    return {"message": send_inbound(body.get("phone_number_id") or "", body.get("from") or "",
                                    body.get("type") or "", text=body.get("text"), reply_id=body.get("id"),
                                    title=body.get("title"), context=body.get("context"),
                                    list_reply=bool(body.get("list")))}
