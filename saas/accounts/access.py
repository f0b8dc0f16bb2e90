"""Who may open which page: a city's staff in their own city's office, super-admins in /admin."""
from __future__ import annotations

import unicodedata
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, redirect, request, url_for
from flask_login import current_user
from saas.tenancy.scope import current_tenant


def is_staff_of_current_city() -> bool:
    tenant = current_tenant._get_current_object()
    return bool(
        current_user.is_authenticated
        and not current_user.is_superadmin
        and tenant is not None
        and current_user.tenant_id == tenant.id
    )


def staff_required(role: str = "operator"):
    """Office pages: signed in to *this* city with at least ``role``; anyone else is sent to sign in."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not is_staff_of_current_city():
                return redirect(url_for("accounts_office.login", next=request.full_path))
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def superadmin_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("accounts_admin.login", next=request.full_path))
        if not current_user.is_superadmin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def safe_next(target: str | None, fallback: str) -> str:
    """Only a path on this site, never another host (open-redirect guard).

    Browsers drop tabs and newlines inside a URL and read ``\\`` as ``/``, so ``/\t/evil`` is
    ``//evil`` to them: judge the target as they would, and refuse any control character outright
    (a newline in a Location header is also a 500).
    """
    if not target or any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in target):
        return fallback
    seen = "".join(target.split()).replace("\\", "/")
    parts = urlsplit(seen)
    if parts.scheme or parts.netloc or not seen.startswith("/") or seen.startswith("//"):
        return fallback
    return target.rstrip("?") or fallback
