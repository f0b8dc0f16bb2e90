"""Creating staff accounts and checking who is signing in."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from marshmallow import ValidationError, validate

from saas.accounts.models import PLATFORM_ROLE, TENANT_ROLES, StaffAccessLog, User
from saas.accounts.passwords import MIN_LENGTH, burn_verification, hash_password, verify_password
from saas.extensions import db
from saas.models import utcnow
from saas.tenancy.models import Tenant


class AccountError(ValueError):
    """A staff account cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class SuperAdminSignedIn:
    """Told when a platform super-admin signs in (the console's audit log records it)."""

    user: User


_email = validate.Email(error="'{input}' is not an e-mail address.")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(tenant: Tenant | None, email: str) -> User | None:
    tenant_clause = User.tenant_id.is_(None) if tenant is None else User.tenant_id == tenant.id
    return db.session.scalar(
        sa.select(User).where(tenant_clause, User.email == normalise_email(email))
    )


def create_user(*, tenant: Tenant | None, role: str, email: str, password: str,
                name: str | None = None) -> User:
    email = normalise_email(email)
    try:
        _email(email)
    except ValidationError as exc:
        raise AccountError(exc.messages[0]) from None
    if tenant is None and role != PLATFORM_ROLE:
        raise AccountError(f"A platform account must have role '{PLATFORM_ROLE}'.")
    if tenant is not None and role not in TENANT_ROLES:
        raise AccountError(f"A city account's role is one of: {', '.join(TENANT_ROLES)}.")
    if len(password) < MIN_LENGTH:
        raise AccountError(f"The password needs at least {MIN_LENGTH} characters.")
    if find_user(tenant, email):
        where = tenant.slug if tenant else "the platform"
        raise AccountError(f"{email} already has an account in {where}.")
    user = User(tenant_id=tenant.id if tenant else None, role=role, email=email,
                name=(name or email.split("@")[0]).strip()[:120], password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(tenant: Tenant | None, email: str, password: str) -> User | None:
    """The account of this city (or of the platform when ``tenant`` is None), if the password fits.

    A Balikpapan account does not exist in Samarinda's office or in ``/admin``: the lookup
    is by city, so the answer there is the same as for an unknown address.
    """
    user = find_user(tenant, email)
    if user is None or not user.active:
        burn_verification(password)
        return None
    ok, fresh_hash = verify_password(user.password_hash, password)
    if not ok:
        return None
    if fresh_hash:
        user.password_hash = fresh_hash
    user.last_login_at = utcnow()
    return user


def end_all_sessions(user: User) -> None:
    """Every cookie issued to this account so far stops working."""
    user.session_version += 1


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: ``<id>.<session_version>``; an older version is signed out."""
    try:
        user_id, version = (int(part) for part in session_id.split(".", 1))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def log_staff_access(user: User | None, action: str, subject: str | None = None,
                     ip_address: str | None = None, *, reason: str | None = None, api_token=None) -> None:
    """One line in the city's access log: a staff member's, or an API token's (platform accounts
    have no city log)."""
    if api_token is not None:
        db.session.add(StaffAccessLog(tenant_id=api_token.tenant_id, api_token=f"{api_token.prefix} {api_token.name}"[:40],
                                      action=action, subject=subject, ip_address=ip_address, reason=reason))
        return
    if user is None or user.tenant_id is None:
        return
    db.session.add(StaffAccessLog(tenant_id=user.tenant_id, user_id=user.id, action=action,
                                  subject=subject, ip_address=ip_address, reason=reason))


def access_log(*, user_id: int | None = None, action: str | None = None, day=None,
               before_id: int | None = None, per_page: int = 100) -> tuple[list[StaffAccessLog], int | None]:
    """The bound city's access log, newest first, a page at a time; ``day`` is the city's local day."""
    from saas.tenancy.scope import current_tenant

    filters = []
    if user_id:
        filters.append(StaffAccessLog.user_id == user_id)
    if action:
        filters.append(StaffAccessLog.action == action)
    if day is not None:
        start, end = current_tenant.day_bounds(day)
        filters += [StaffAccessLog.at >= start, StaffAccessLog.at < end]
    if before_id is not None:
        filters.append(StaffAccessLog.id < before_id)
    rows = list(db.session.scalars(sa.select(StaffAccessLog).where(*filters)
                                   .order_by(StaffAccessLog.id.desc()).limit(per_page + 1)))
    return rows[:per_page], (rows[per_page - 1].id if len(rows) > per_page else None)


# -- the first admin of a new city, invited by a one-time sign-up link ----------------------------------
INVITATION_SALT = "antar-first-admin"
INVITATION_DAYS = 7


class InvitationRefused(Exception):
    """The sign-up link cannot be used; ``message`` says why, in the reader's language."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


def _invitations() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=INVITATION_SALT)


def invitation_token(tenant: Tenant, email: str) -> str:
    """A signed link's token for ``email`` to become ``tenant``'s admin (expires, used once)."""
    email = normalise_email(email)
    try:
        _email(email)
    except ValidationError:
        raise InvitationRefused(_l("This is not an e-mail address.")) from None
    return _invitations().dumps({"t": tenant.id, "e": email})


def invited_email(tenant: Tenant, token: str) -> str:
    """The address the link was made for; refused when forged, for another city, expired or used."""
    try:
        data = _invitations().loads(token, max_age=INVITATION_DAYS * 86400)
    except SignatureExpired:
        raise InvitationRefused(_l("This sign-up link has expired: ask the platform operator for a new one.")) from None
    except BadSignature:
        raise InvitationRefused(_l("This sign-up link is not valid.")) from None
    if not isinstance(data, dict) or data.get("t") != tenant.id or not data.get("e"):
        raise InvitationRefused(_l("This sign-up link is not valid."))
    if find_user(tenant, data["e"]) is not None:  # the link made this account: it serves once
        raise InvitationRefused(_l("This sign-up link was already used: sign in instead."))
    return data["e"]


def accept_invitation(tenant: Tenant, token: str, *, name: str, password: str) -> User:
    email = invited_email(tenant, token)
    return create_user(tenant=tenant, role="admin", email=email, password=password, name=name)
