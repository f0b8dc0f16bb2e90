"""The signed link in a citizen's message: bound to one document, expiring, tamper-evident."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "antar-document-link"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def document_token(document) -> str:
    return _serializer().dumps({"d": document.id, "t": document.tenant_id, "r": document.registration_no})


def document_link(document, tenant) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/{tenant.slug}/d/{document_token(document)}"


class LinkRefused(Exception):
    def __init__(self, reason: str):
        self.reason = reason  # "expired" or "invalid"
        super().__init__(reason)


def read_document_token(token: str, tenant) -> dict:
    """The token's content if it is genuine, for this city, and younger than the city allows."""
    days = (tenant.document_settings or {}).get("link_valid_days", 14)
    days = current_app.config.get("DOCUMENT_LINK_DAYS") or days
    try:
        data = _serializer().loads(token, max_age=int(days) * 86400)
    except SignatureExpired:
        raise LinkRefused("expired") from None
    except BadSignature:
        raise LinkRefused("invalid") from None
    if not isinstance(data, dict) or data.get("t") != tenant.id:
        raise LinkRefused("invalid")
    return data
