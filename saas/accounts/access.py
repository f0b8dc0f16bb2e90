"""Who may open which page: a city's staff in their own city's office, super-admins in /admin."""
from __future__ import annotations

from functools import wraps

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
    """Only a path on this site, never another host (open-redirect guard)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target.rstrip("?") or fallback
    return fallback
