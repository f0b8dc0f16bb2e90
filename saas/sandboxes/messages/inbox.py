"""What the sandboxes received: a JSON listing for tests, and an inbox page that shows it the way
the citizen's phone would (one thread per recipient, chat bubbles, receipt ticks)."""
from __future__ import annotations

import re
from datetime import datetime

from flask import Response, abort, jsonify, redirect, render_template, request, url_for

from saas.sandboxes.messages import messages_bp, store
from saas.sandboxes.messages.whatsapp import send_inbound

URL = re.compile(r"https?://[^\s<>\"']+")
TRAILING_PUNCTUATION = ".,;:!?)]}'\""
CHANNEL_LABELS = {"whatsapp": "WhatsApp", "sms": "SMS", "email": "E-mail"}
# The e-mail's own HTML is shown alone, unable to run scripts or load anything from elsewhere.
EMAIL_HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


@messages_bp.get("/messages")
def list_messages():
    channel = request.args.get("channel") or None
    if channel is not None and channel not in store.CHANNELS:
        return jsonify({"error": f"channel must be one of {', '.join(store.CHANNELS)}"}), 400
    messages = store.received(channel, to=request.args.get("to") or None)
    counts = {name: sum(1 for m in messages if m["channel"] == name) for name in store.CHANNELS}
    return {"messages": messages, "counts": counts}


@messages_bp.get("/messages/<path:message_id>/html")
def email_html(message_id: str):
    found = store.message(message_id)
    if found is None or not found.get("html"):
        abort(404)
    response = Response(found["html"], mimetype="text/html")
    response.headers["Content-Security-Policy"] = EMAIL_HTML_POLICY
    return response


def segments(text: str) -> list[dict]:
    """Text split into plain runs and links, so the template can make links clickable safely."""
    parts, position = [], 0
    for match in URL.finditer(text):
        url = match.group().rstrip(TRAILING_PUNCTUATION)
        if match.start() > position:
            parts.append({"text": text[position:match.start()], "url": None})
        parts.append({"text": url, "url": url})
        position = match.start() + len(url)
    if position < len(text):
        parts.append({"text": text[position:], "url": None})
    return parts


def _clock(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%d %b %H:%M:%S")


def _recipient_label(key: str) -> str:
    return key if "@" in key else "+" + key


def _bubble(message: dict) -> dict:
    return {"channel": message["channel"], "channel_label": CHANNEL_LABELS[message["channel"]],
            "direction": message.get("direction", "out"), "phone_number_id": message.get("phone_number_id"),
            "quick_replies": message.get("quick_replies") or [], "buttons": message.get("buttons") or [],
            "list": message.get("list"),
            "id": message["id"], "time": _clock(message["time"]), "status": message["status"],
            "template": message.get("template"), "language": message.get("language"),
            "subject": message.get("subject"), "sender": message.get("from"),
            "has_html": bool(message.get("html")),
            "segments": segments(message.get("text") or "")}


def threads(messages: list[dict], only: str | None = None) -> list[dict]:
    """One thread per recipient, the most recently active first; messages oldest first inside."""
    by_recipient: dict[str, list[dict]] = {}
    for message in messages:
        for key in message["recipients"]:
            if only is None or key == only:
                by_recipient.setdefault(key, []).append(message)
    for thread in by_recipient.values():
        thread.sort(key=lambda m: m["time"])
    ordered = sorted(by_recipient.items(), key=lambda item: item[1][-1]["time"], reverse=True)
    return [{"recipient": key, "label": _recipient_label(key), "bubbles": [_bubble(m) for m in thread],
             # the business number the person talks to: the one that wrote to them last
             "business": next((m.get("phone_number_id") for m in reversed(thread) if m.get("phone_number_id")), None)}
            for key, thread in ordered]


@messages_bp.get("/inbox")
def inbox():
    to = request.args.get("to") or None
    messages = store.received(to=to)
    only = store.recipient_key(to) if to else None
    return render_template("sandbox_messages/inbox.html", threads=threads(messages + store.inbound(to), only), to=to,
                           total=len(messages), labels=CHANNEL_LABELS,
                           counts={c: sum(1 for m in messages if m["channel"] == c) for c in store.CHANNELS})


@messages_bp.post("/inbox/reply")
def inbox_reply():
    """The person taps a button or a list row, or types, in the inbox: WhatsApp tells the business."""
    form = request.form
    kind = form.get("kind", "")
    try:
        send_inbound(form.get("phone_number_id", ""), form.get("to", ""), kind,
                     text=form.get("text") if kind == "text" else None, reply_id=form.get("reply_id") or None,
                     title=form.get("title") or None, context=form.get("context") or None,
                     list_reply=form.get("list") == "1")
    except (ValueError, LookupError) as error:
        return jsonify({"error": str(error.args[0] if error.args else error)}), 400
    return redirect(url_for("sandbox_messages.inbox", to=form.get("to")) + "#end")
