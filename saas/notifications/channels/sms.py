"""SMS through an HTTP gateway of the Zenziva kind: {userkey, passkey, nohp, pesan} → {messageId, status}."""
from __future__ import annotations

import os

from flask import current_app

from saas.notifications.channels.base import Channel, Outgoing, SendError, Sent, http_session
from saas.sandbox_registry import is_sandbox, register_once, stand_ins_allowed

TIMEOUT = (3.05, 10)
MAX_LENGTH = 612  # four concatenated SMS


def report_token() -> str:
    value = current_app.config.get("SMS_REPORT_TOKEN") or os.environ.get("SMS_REPORT_TOKEN", "")
    if not value and stand_ins_allowed():
        value = "sandbox-sms-report-token"
    return value


class Sms(Channel):
    repeatable = False
    name = "sms"

    @staticmethod
    def _register(base: str, userkey: str, passkey: str) -> None:
        reports = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/webhooks/messages/sms"
        import requests  # sent from the job workers: a web worker never loads it

        try:
            requests.put(f"{base}/_admin/accounts/{userkey}", timeout=TIMEOUT, json={
                "passkey": passkey, "report_url": reports, "report_token": report_token()})
        except requests.RequestException as exc:
            raise SendError(f"SMS sandbox unreachable: {type(exc).__name__}") from exc

    def prepare(self, notification) -> Outgoing:
        base = self.base_url("SMS_BASE_URL", "sms")
        userkey, passkey = self.secret("userkey_env"), self.secret("passkey_env")
        if is_sandbox(base):
            register_once((base, userkey), lambda: self._register(base, userkey, passkey))
        text = notification.body
        if len(text) > MAX_LENGTH:
            text = text[:MAX_LENGTH - 1] + "…"
        number = "0" + notification.recipient[3:] if notification.recipient.startswith("+62") else notification.recipient
        return Outgoing(notification.id, f"{base}/api/sendsms/",
                        {"userkey": userkey, "passkey": passkey, "nohp": number, "pesan": text})

    def transmit(self, outgoing: Outgoing) -> Sent:
        import requests  # sent from the job workers: a web worker never loads it

        try:
            response = http_session().post(outgoing.url, json=outgoing.json, timeout=TIMEOUT)
        except requests.ReadTimeout as exc:  # it had the message and did not answer in time
            raise SendError("SMS gateway did not answer in time", uncertain=True) from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise SendError(f"SMS gateway unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise SendError(f"SMS gateway {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise SendError(f"SMS gateway answered {response.status_code} without JSON") from None
        if str(data.get("status")) == "1" and data.get("messageId"):
            return Sent(str(data["messageId"]))
        text = str(data.get("text") or "refused")
        lowered = text.lower()
        if "terlalu banyak" in lowered:
            raise SendError(f"SMS gateway: {text}", retry_after=30)
        permanent = any(word in lowered for word in ("tidak valid", "salah", "kosong", "panjang"))
        raise SendError(f"SMS gateway: {text}", permanent=permanent)

