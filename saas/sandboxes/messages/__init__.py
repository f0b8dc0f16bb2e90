"""WhatsApp-Cloud-, Zenziva-SMS- and SMTP-shaped sandboxes that record every message they accept.

The main app mounts ``messages_bp`` under ``/sandbox``; tests drive it through the functions
re-exported here, and another process through the ``_admin`` HTTP endpoints. State lives in memory
(``store``), so one process is one world.
"""
from __future__ import annotations

from flask import Blueprint

messages_bp = Blueprint("sandbox_messages", __name__, static_folder="static",
                        static_url_path="/messages-static", template_folder="templates")

# The modules below attach their routes to messages_bp, so they are imported after it exists.
from saas.sandboxes.messages import admin, inbox  # noqa: E402,F401
from saas.sandboxes.messages.receipts import deliver_receipts, set_receipt_transport  # noqa: E402
from saas.sandboxes.messages.sms import send_sms_report  # noqa: E402
from saas.sandboxes.messages.smtp import smtp_address, start_smtp, stop_smtp  # noqa: E402
from saas.sandboxes.messages.store import (  # noqa: E402
    failures,
    inbound,
    received,
    receipt_log,
    register_smtp_login,
    register_sms_account,
    register_whatsapp,
    register_whatsapp_template,
    register_whatsapp_template_buttons,
    rejected,
    reset,
    set_failure,
    set_receipt_delay,
    set_receipt_mode,
    set_whatsapp_limits,
)
from saas.sandboxes.messages.whatsapp import send_inbound, send_whatsapp_status  # noqa: E402

__all__ = [
    "messages_bp", "reset", "register_whatsapp", "register_whatsapp_template", "register_sms_account",
    "register_smtp_login", "set_failure", "failures", "set_receipt_mode", "set_receipt_delay",
    "set_receipt_transport", "set_whatsapp_limits", "received", "rejected", "receipt_log",
    "deliver_receipts", "send_whatsapp_status", "send_sms_report", "start_smtp", "stop_smtp",
    "smtp_address", "register_whatsapp_template_buttons", "send_inbound", "inbound",
]
