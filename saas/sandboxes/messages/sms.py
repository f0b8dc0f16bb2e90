"""SMS gateway imitation of the Zenziva kind that Indonesian offices use.

Errors come back as HTTP 200 with ``status: "0"`` and an Indonesian text, as the real gateway does;
only an outage is a 5xx. Delivery reports go to the account's report URL with its bearer token.
"""
from __future__ import annotations

import hmac
import json
import math
import re

from flask import Response, request

from saas.sandboxes.messages import messages_bp, receipts, store
from saas.sandboxes.messages.admin import admin_endpoint, json_body

MAX_LENGTH = 612  # four concatenated parts of 153 characters
MOBILE_NUMBER = re.compile(r"(?:\+?62|0)8\d+")
REPORT_STATUSES = ("DELIVERED", "FAILED")


class SmsRefusal(Exception):
    def __init__(self, text: str, reason: str):
        super().__init__(text)
        self.text, self.reason = text, reason


def _failure_response(reason: str, nohp, body: str, status: int) -> Response:
    store.record_rejection("sms", reason, to=nohp, http_status=status)
    return Response(body, status=status, mimetype="text/plain")


def _valid_number(nohp: str) -> bool:
    return bool(MOBILE_NUMBER.fullmatch(nohp)) and 10 <= len(nohp.lstrip("+")) <= 15


def _parts(text: str) -> int:
    return 1 if len(text) <= 160 else math.ceil(len(text) / 153)


@messages_bp.post("/sms/api/sendsms/")
def send_sms():
    data = request.get_json(silent=True) if request.is_json else request.form
    data = data if hasattr(data, "get") else {}
    userkey, passkey = str(data.get("userkey") or ""), str(data.get("passkey") or "")
    nohp, pesan = str(data.get("nohp") or "").strip(), str(data.get("pesan") or "")
    try:
        with store.lock:
            account = store.state.sms_accounts.get(userkey)
        if account is None or not hmac.compare_digest(account.passkey.encode(), passkey.encode()):
            raise SmsRefusal("Userkey / Passkey Salah", "unauthorized")
        if not _valid_number(nohp):
            raise SmsRefusal("Nomor tujuan tidak valid", "invalid_request")
        if not pesan.strip():
            raise SmsRefusal("Pesan tidak boleh kosong", "invalid_request")
        if len(pesan) > MAX_LENGTH:
            raise SmsRefusal("Pesan terlalu panjang", "invalid_request")
        failure = store.take_failure("sms")
        if failure and failure.mode == "slow":
            store.hold(failure.timeout_seconds)
        if failure and failure.mode == "server_error":
            return _failure_response("server_error", nohp, "Internal Server Error", 500)
        if failure and failure.mode == "timeout":
            store.hold(failure.timeout_seconds)
            return _failure_response("timeout", nohp, "Gateway Timeout", 504)
        if failure and failure.mode == "rate_limit":
            raise SmsRefusal("Terlalu banyak permintaan, coba lagi beberapa saat lagi", "rate_limit")
        if (failure and failure.mode == "invalid_number") or store.always_invalid(nohp):
            raise SmsRefusal("Nomor tujuan tidak valid", "invalid_number")
    except SmsRefusal as refusal:
        store.record_rejection("sms", refusal.reason, to=nohp or None, text=refusal.text)
        return {"status": "0", "text": refusal.text}
    message_id = store.next_sms_id()
    store.record_message("sms", message_id, nohp, [nohp], text=pesan, parts=_parts(pesan), userkey=userkey)
    receipts.schedule([_report_callback(message_id, "DELIVERED")])
    return {"messageId": message_id, "to": nohp, "status": "1", "text": "Success"}


def _report_callback(message_id: str, status: str) -> receipts.Callback:
    def build():
        with store.lock:
            message = store.state.by_id[message_id]
            account = store.state.sms_accounts.get(message["userkey"])
        if account is None or not account.report_url:
            return None, {}, b""
        body = json.dumps({"messageId": message_id, "to": message["to"], "status": status,
                           "timestamp": store.now_iso()}).encode()
        headers = {"Content-Type": "application/json"}
        if account.report_token:
            headers["Authorization"] = f"Bearer {account.report_token}"
        return account.report_url, headers, body

    return receipts.callback("sms", message_id, status.lower(), build)


def send_sms_report(message_id: str, status: str = "DELIVERED") -> dict | None:
    """Send one delivery report now, whatever the receipt mode (a FAILED one, or a duplicate);
    its log entry, or None when the account has no report URL."""
    if status not in REPORT_STATUSES:
        raise ValueError(f"status must be one of {', '.join(REPORT_STATUSES)}")
    found = store.message(message_id)
    if found is None or found["channel"] != "sms":
        raise LookupError(f"no SMS message {message_id}")
    return receipts.fire(_report_callback(message_id, status))


# -- admin ------------------------------------------------------------------------------------
@messages_bp.put("/sms/_admin/accounts/<userkey>")
@admin_endpoint
def admin_register_account(userkey: str):
    body = json_body()
    store.register_sms_account(userkey, body.get("passkey"), body.get("report_url"), body.get("report_token"))
    return {"userkey": userkey, "registered": True}


@messages_bp.post("/sms/_admin/reports")
@admin_endpoint
def admin_send_report():
    body = json_body()
    entry = send_sms_report(str(body.get("messageId") or ""), body.get("status", "DELIVERED"))
    return {"receipt": entry}
