"""E-mail over SMTP: plain text and HTML in the city's colours."""
from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

from saas.notifications.channels.base import Channel, Outgoing, SendError, Sent

#: ``app.extensions[LOCAL_SMTP]``: a callable giving (host, port) of an SMTP server on this
#: machine, used when SMTP_HOST is not set (only the sandboxes set it).
LOCAL_SMTP = "antar_local_smtp"


def smtp_address() -> tuple[str, int]:
    host = current_app.config.get("SMTP_HOST") or os.environ.get("SMTP_HOST")
    port = current_app.config.get("SMTP_PORT") or os.environ.get("SMTP_PORT")
    if host:
        return host, int(port or 25)
    local_smtp = current_app.extensions.get(LOCAL_SMTP)
    if local_smtp is not None:  # the demo's and the tests' sandbox, plugged in by create_app
        return local_smtp()
    raise SendError("SMTP_HOST is not configured", permanent=True)


class Email(Channel):
    name = "email"

    def can_reach(self, target: dict) -> str | None:
        return target.get("email")

    def prepare(self, notification) -> Outgoing:
        host, port = smtp_address()
        message = EmailMessage()
        message["From"] = f"{self.tenant.name} <{self.settings.get('sender')}>"
        message["To"] = notification.recipient
        message["Subject"] = notification.subject or self.tenant.name
        if self.settings.get("reply_to"):
            message["Reply-To"] = self.settings["reply_to"]
        message_id = make_msgid(domain="antar.invalid")
        message["Message-ID"] = message_id
        message.set_content(notification.body)
        if notification.html:
            message.add_alternative(notification.html, subtype="html")
        login = (os.environ["SMTP_USERNAME"], os.environ.get("SMTP_PASSWORD", "")) \
            if os.environ.get("SMTP_USERNAME") else None
        return Outgoing(notification.id, extra={"host": host, "port": port, "message": message, "login": login})

    def transmit(self, outgoing: Outgoing) -> Sent:
        host, port, message = outgoing.extra["host"], outgoing.extra["port"], outgoing.extra["message"]
        try:
            with smtplib.SMTP(host, port, timeout=15) as smtp:
                if outgoing.extra["login"]:
                    smtp.starttls()
                    smtp.login(*outgoing.extra["login"])
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendError(f"SMTP refused the recipient: {exc.recipients}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise SendError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"SMTP unreachable: {type(exc).__name__}") from exc
        return Sent(message["Message-ID"].strip("<>"))
