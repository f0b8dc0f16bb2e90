"""Personal-data guards shared by every capability: NIK masking and response headers."""
from __future__ import annotations

import logging
import re

_SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d{4})\d{10}(\d{2})(?!\d)")


def mask_nik(nik: str | None) -> str:
    """``6471011708900001`` → ``6471**********01``: region kept, person hidden."""
    if not nik:
        return ""
    digits = re.sub(r"\D", "", nik)
    if len(digits) != 16:
        return "*" * len(digits)
    return digits[:4] + "*" * 10 + digits[-2:]


def mask_email(email: str | None) -> str:
    """``siti.aminah@example.com`` → ``s***h@example.com``."""
    if not email or "@" not in email:
        return ""
    local, domain = email.split("@", 1)
    return f"{local[0]}***{local[-1] if len(local) > 1 else ''}@{domain}"


def redact_niks(text: str) -> str:
    """Any 16-digit run in free text (a NIK or a KK number) is masked."""
    return _SIXTEEN_DIGITS.sub(lambda m: m.group(1) + "*" * 10 + m.group(2), text)


def _redacting_factory(base):
    def factory(*args, **kwargs):
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:
            return record
        redacted = redact_niks(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return record

    factory.antar_redacts = True
    return factory


def install_log_redaction() -> None:
    """Last line of defence: no log record is made, by any logger, with a whole NIK in it."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "antar_redacts", False):
        logging.setLogRecordFactory(_redacting_factory(current))


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def apply_security_headers(response):
    """Nothing loads from another host, and pages cannot be framed."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
