from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from saas.api.models import ApiToken
from saas.extensions import db
from saas.models import utcnow
from saas.tenancy.scope import current_tenant

TOKEN_PREFIX = "antar_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(*, tenant, name: str, created_by=None) -> tuple[ApiToken, str]:
    """A new token; the plain value is returned once and never stored."""
    name = " ".join((name or "").split())[:80]
    if not name:
        raise ValueError("A token needs a name that says what it is for.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(tenant_id=tenant.id if tenant else None, name=name, token_hash=_digest(raw),
                     prefix=raw[:14], created_by_id=created_by.id if created_by else None)
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
