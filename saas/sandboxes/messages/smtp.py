"""A local SMTP server (aiosmtpd, in its own thread) that records every e-mail it accepts.

It answers like a mail provider: ``250 2.0.0 Ok: queued as <id>`` on success, ``451`` when the
e-mail failure mode says the server is in trouble, ``550 5.1.1`` for mailboxes that do not exist
(any address at ``invalid.test``), and AUTH only when a login was registered.
"""
from __future__ import annotations

import asyncio
import secrets
import socket
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from saas.sandboxes.messages import messages_bp, store
from saas.sandboxes.messages.admin import admin_endpoint, json_body

INVALID_DOMAIN = "@invalid.test"
SERVER_NAME = "smtp.sandbox.antar.test"

_controller: Controller | None = None
_address: tuple[str, int] | None = None
_server_lock = threading.Lock()


class _TextExtractor(HTMLParser):
    """Readable text of an HTML-only e-mail, for the inbox."""

    SKIPPED = ("script", "style", "head", "title")
    BREAKS = ("br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self._skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIPPED and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        return "\n".join(line for line in lines if line)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return extractor.text()


def _content(part: EmailMessage | None) -> str | None:
    if part is None:
        return None
    try:
        return part.get_content()
    except (LookupError, UnicodeError):
        return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def parse_email(raw: bytes) -> dict:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    text = _content(message.get_body(preferencelist=("plain",)))
    html = _content(message.get_body(preferencelist=("html",)))
    return {"from": str(message.get("From", "")), "header_to": str(message.get("To", "")),
            "subject": str(message.get("Subject", "")), "header_message_id": str(message.get("Message-ID", "")),
            "text": text if text is not None else html_to_text(html or ""), "html": html,
            "attachments": [part.get_filename() or "" for part in message.iter_attachments()]}


class _Handler:
    """aiosmtpd hooks; they run on the server's event loop, so they only touch the store briefly."""

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with store.lock:
            login_required = bool(store.state.smtp_logins)
        if login_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().endswith(INVALID_DOMAIN) or store.take_failure("email", ("invalid_number",)):
            store.record_rejection("email", "invalid_number", to=address, smtp_code=550)
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        failure = store.take_failure("email", ("server_error", "timeout", "rate_limit"))
        if failure is not None:
            return await self._fail(failure, envelope)
        queue_id = secrets.token_hex(5).upper()
        store.record_message("email", queue_id, ", ".join(envelope.rcpt_tos), list(envelope.rcpt_tos),
                             status="delivered", envelope_from=envelope.mail_from,
                             username=session.auth_data if session.authenticated else None,
                             **parse_email(envelope.original_content or envelope.content))
        return f"250 2.0.0 Ok: queued as {queue_id}"

    @staticmethod
    async def _fail(failure: store.Failure, envelope) -> str:
        to = ", ".join(envelope.rcpt_tos)
        if failure.mode == "timeout":
            await asyncio.get_running_loop().run_in_executor(None, store.hold, failure.timeout_seconds)
            store.record_rejection("email", "timeout", to=to, smtp_code=451)
            return "451 4.4.2 Timeout while storing the message"
        if failure.mode == "rate_limit":
            store.record_rejection("email", "rate_limit", to=to, smtp_code=450)
            return "450 4.7.1 Too many messages, slow down"
        store.record_rejection("email", "server_error", to=to, smtp_code=451)
        return "451 4.3.0 Temporary failure"


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    username = auth_data.login.decode("utf-8", "replace")
    with store.lock:
        logins = dict(store.state.smtp_logins)
    accepted = not logins or logins.get(username) == auth_data.password.decode("utf-8", "replace")
    return AuthResult(success=accepted, handled=False, auth_data=username)


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def start_smtp(host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
    """Start the process's SMTP sandbox (port 0: a free one) or return the running one's address."""
    global _controller, _address
    with _server_lock:
        if _controller is None:
            port = port or _free_port(host)
            controller = Controller(_Handler(), hostname=host, port=port, server_hostname=SERVER_NAME,
                                    ident="Antar SMTP sandbox", authenticator=_authenticate,
                                    auth_require_tls=False, decode_data=False)
            controller.start()
            _controller, _address = controller, (host, port)
        return _address


def stop_smtp() -> None:
    global _controller, _address
    with _server_lock:
        if _controller is not None:
            _controller.stop()
            _controller = _address = None


def smtp_address() -> tuple[str, int] | None:
    with _server_lock:
        return _address


# -- admin ------------------------------------------------------------------------------------
@messages_bp.post("/email/_admin/server")
@admin_endpoint
def admin_start_smtp():
    body = json_body()
    port = body.get("port", 0)
    if isinstance(port, bool) or not isinstance(port, int):
        raise ValueError("port must be an integer")
    host, port = start_smtp(body.get("host") or "127.0.0.1", port)
    return {"host": host, "port": port}


@messages_bp.get("/email/_admin/server")
@admin_endpoint
def admin_smtp_address():
    address = smtp_address()
    if address is None:
        raise LookupError("the SMTP sandbox is not running")
    return {"host": address[0], "port": address[1]}


@messages_bp.put("/email/_admin/logins/<username>")
@admin_endpoint
def admin_register_login(username: str):
    store.register_smtp_login(username, json_body().get("password"))
    return {"username": username, "registered": True}
