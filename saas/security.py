"""Personal-data guards shared by every capability: NIK masking and response headers."""
from __future__ import annotations

import logging
import re

from flask import current_app, request

_SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d{4})\d{10}(\d{2})(?!\d)")
#: Groups of two or more digits joined by one space, dot or dash: ``6471 0117 0890 0001``, ``64.71.01.170890.0001``.
_DIGIT_GROUPS = re.compile(r"(?<!\d)\d{2,}(?:[ .\-]\d{2,})+")
_GROUP = re.compile(r"\d+")


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


def _nik_shaped(digits: str) -> bool:
    """Province 11–94, day 01–71 (women +40), month 01–12: what a NIK or a KK number can be.

    Only used for numbers written in groups, so that dates, phone numbers (08…) and amounts are left alone.
    """
    return (11 <= int(digits[:2]) <= 94 and 1 <= int(digits[6:8]) <= 71 and 1 <= int(digits[8:10]) <= 12)


def _redact_groups(match: re.Match) -> str:
    """Mask every run of whole groups that adds up to a NIK-shaped 16 digits; keep the rest."""
    text = match.group(0)
    groups = [(g.start(), g.end(), g.group(0)) for g in _GROUP.finditer(text)]
    out, done, i = [], 0, 0
    while i < len(groups):
        total, j = 0, i
        while j < len(groups) and total < 16:
            total += len(groups[j][2])
            j += 1
        digits = "".join(g[2] for g in groups[i:j])
        if total == 16 and _nik_shaped(digits):
            out.append(text[done:groups[i][0]] + mask_nik(digits))
            done, i = groups[j - 1][1], j
        else:
            i += 1
    return "".join(out) + text[done:]


def redact_niks(text: str) -> str:
    """NIKs and KK numbers in free text are masked, whole or written in groups (spaces, dots, dashes).

    Any 16-digit run is masked; grouped digits only when they add up to a NIK-shaped number, so that
    dates, phone numbers and rupiah amounts stay readable.
    """
    text = _SIXTEEN_DIGITS.sub(lambda m: m.group(1) + "*" * 10 + m.group(2), text)
    return _DIGIT_GROUPS.sub(_redact_groups, text)


def redact_niks_deep(value):
    """``redact_niks`` on every string of a JSON-like value (dicts, lists), keys included."""
    if isinstance(value, str):
        return redact_niks(value)
    if isinstance(value, dict):
        return {redact_niks_deep(k): redact_niks_deep(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_niks_deep(v) for v in value]
    return value


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


#: Pages that show a citizen's personal data: the office, the console, a citizen's own document.
_PERSONAL_PAGE = re.compile(r"^/(admin(/|$)|api/|[a-z0-9-]+/(office(/|$)|d/|dokumen/|driver/))")
HSTS = "max-age=31536000; includeSubDomains"


def apply_security_headers(response):
    """Nothing loads from another host, and pages cannot be framed; pages with personal data are
    never stored by a browser or a proxy; production is HTTPS only (HSTS)."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if _PERSONAL_PAGE.match(request.path) and not request.path.endswith((".css", ".svg", ".js")):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("ETag", None)
    if current_app.config.get("ANTAR_ENV") == "production" or request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
