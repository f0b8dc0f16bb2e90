from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from saas.api.models import TOKEN_KINDS, ApiToken
from saas.extensions import db
from saas.models import utcnow
from saas.tenancy.scope import current_tenant

TOKEN_PREFIX = "antar_"


class TokenKindRefused(ValueError):
    """A kind of token that does not exist: nothing is made."""


def token_start(kind: str) -> str:
    """What a token's value starts with, so its kind shows wherever it is pasted: antar_test_…"""
    return f"{TOKEN_PREFIX}{kind}_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(*, tenant, name: str, created_by=None, kind: str = "live") -> tuple[ApiToken, str]:
    """A new token; the plain value is returned once and never stored."""
    if kind not in TOKEN_KINDS:
        raise TokenKindRefused(f"Unknown token kind {str(kind)[:20]!r}: use 'live' or 'test'.")
    if kind == "test" and tenant is None:
        raise TokenKindRefused("A test token belongs to a city: the platform's tokens are live.")
    name = " ".join((name or "").split())[:80]
    if not name:
        raise ValueError("A token needs a name that says what it is for.")
    raw = token_start(kind) + secrets.token_urlsafe(32)
    token = ApiToken(tenant_id=tenant.id if tenant else None, name=name, token_hash=_digest(raw), kind=kind,
                     prefix=raw[:16], created_by_id=created_by.id if created_by else None)
    db.session.add(token)
    db.session.flush()
    return token, raw


def token_from_header(header: str | None) -> ApiToken | None:
    """The active token in ``Authorization: Bearer …``, or None."""
    if not header or not header.startswith("Bearer "):
        return None
    raw = header[len("Bearer "):].strip()
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
    if token is None or not token.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now  # written at most every 5 minutes, not on every call
        db.session.commit()
    return token


def city_tokens() -> list[ApiToken]:
    tenant = current_tenant
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.tenant_id == tenant.id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
