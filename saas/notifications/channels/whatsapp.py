"""WhatsApp Business Cloud API: approved template messages, by phone number id and Bearer token."""
from __future__ import annotations

import os

from flask import current_app

from saas.notifications import pacing
from saas.notifications.channels.base import Channel, Later, Outgoing, SendError, Sent, http_session
from saas.notifications.templates import EVENTS
from saas.sandbox_registry import is_sandbox, register_once, stand_ins_allowed

API_VERSION = "v21.0"
TIMEOUT = (3.05, 10)
# Cloud API error codes that no retry will cure.
PERMANENT = {131026, 131009, 131008, 132000, 132001, 132012, 132018, 131047, 131051, 100, 190, 33}
RATE_LIMITS = {130429: 1.0, 131056: 6.0, 131048: 60.0, 4: 60.0, 80007: 60.0}
#: Cloud API's default throughput per business number; a city with the upgrade sets up to 1,000.
DEFAULT_PER_SECOND = 80


def app_secret() -> str:
    """The Meta app's secret: it signs the status webhooks (X-Hub-Signature-256)."""
    value = current_app.config.get("WHATSAPP_APP_SECRET") or os.environ.get("WHATSAPP_APP_SECRET", "")
    if not value and stand_ins_allowed():
        value = "sandbox-whatsapp-app-secret"
    return value


def message_content(notification) -> dict:
    """A session message's own content (inside the citizen's 24-hour window), or the approved
    template with its body parameters and, where the template has them, its quick-reply payloads."""
    if notification.payload:
        return dict(notification.payload)
    components = [{"type": "body", "parameters": [{"type": "text", "text": p} for p in notification.params]}]
    for index, (reply, _labels) in enumerate(EVENTS.get(notification.event, {}).get("buttons", ())):
        components.append({"type": "button", "sub_type": "quick_reply", "index": str(index),
                           "parameters": [{"type": "payload", "payload": reply}]})
    return {"type": "template", "template": {"name": notification.template,
                                             "language": {"code": notification.language},
                                             "components": components}}


class WhatsApp(Channel):
    name = "whatsapp"

    def _endpoint(self) -> tuple[str, str, str]:
        base = self.base_url("WHATSAPP_BASE_URL", "whatsapp")
        phone_number_id, token = self.secret("phone_number_id_env"), self.secret("access_token_env")
        if is_sandbox(base):
            register_once((base, phone_number_id), lambda: self._register(base, phone_number_id, token))
        return base, phone_number_id, token

    @staticmethod
    def _register(base: str, phone_number_id: str, token: str) -> None:
        webhook = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/webhooks/messages/whatsapp"
        import requests  # sent from the job workers: a web worker never loads it

        try:
            requests.put(f"{base}/_admin/numbers/{phone_number_id}", timeout=TIMEOUT, json={
                "access_token": token, "app_secret": app_secret(), "webhook_url": webhook})
            # The quick-reply buttons as Meta approved them (what the phone shows on the template).
            for event, spec in EVENTS.items():
                for language in ("id", "en"):
                    if spec.get("buttons"):
                        requests.put(f"{base}/_admin/templates/antar_{event}/buttons", timeout=TIMEOUT, json={
                            "language": language, "buttons": [labels[language] for _reply, labels in spec["buttons"]]})
        except requests.RequestException as exc:
            raise SendError(f"WhatsApp sandbox unreachable: {type(exc).__name__}") from exc

    def prepare(self, notification) -> Outgoing:
        base, phone_number_id, token = self._endpoint()
        version = current_app.config.get("WHATSAPP_API_VERSION", API_VERSION)
        body = {
            "messaging_product": "whatsapp", "recipient_type": "individual",
            "to": notification.recipient.lstrip("+"), **message_content(notification),
            # Echoed in every status webhook: a message sent by a worker that died before it
            # could record the send is still recognised, and not sent twice.
            "biz_opaque_callback_data": f"antar:{notification.id}",
        }
        return Outgoing(notification.id, f"{base}/{version}/{phone_number_id}/messages", body,
                        {"Authorization": f"Bearer {token}"},
                        extra={"number": phone_number_id, "recipient": notification.recipient,
                               "rate": int(self.settings.get("messages_per_second") or DEFAULT_PER_SECOND)})

    def try_turn(self, outgoing: Outgoing) -> Later | None:
        extra = outgoing.extra
        answer = pacing.try_turn(extra["number"], extra["recipient"], extra["rate"])
        if answer.turn is not None:
            extra["turn"] = answer.turn
            return None
        return Later(answer.wait, f"WhatsApp pacing: {answer.refusal(extra['rate'])}", person=answer.busy == pacing.PERSON)

    def wait_turn(self, outgoing: Outgoing) -> None:
        extra = outgoing.extra
        try:
            extra["turn"] = pacing.wait_for_turn(extra["number"], extra["recipient"], extra["rate"])
        except pacing.NotYourTurn as turn:
            raise SendError(f"WhatsApp pacing: {turn}", retry_after=turn.wait, throttled=True) from None

    def transmit(self, outgoing: Outgoing) -> Sent:
        import requests  # sent from the job workers: a web worker never loads it

        try:
            response = http_session().post(outgoing.url, json=outgoing.json, headers=outgoing.headers,
                                           timeout=TIMEOUT)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise SendError(f"WhatsApp unreachable: {type(exc).__name__}") from exc
        finally:
            if turn := outgoing.extra.get("turn"):
                turn.restart()
        if response.status_code == 200:
            return Sent(response.json()["messages"][0]["id"])
        try:
            error = response.json().get("error") or {}
        except ValueError:
            error = {}
        code = error.get("code")
        message = f"WhatsApp {response.status_code} ({code}): {error.get('message') or response.text[:200]}"
        if code in RATE_LIMITS or response.status_code == 429:
            raise SendError(message, retry_after=RATE_LIMITS.get(code, 5.0), throttled=True)
        if response.status_code < 500 and (code in PERMANENT or response.status_code in (400, 401, 403, 404)):
            raise SendError(message, permanent=True)
        raise SendError(message)

