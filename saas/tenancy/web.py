"""Resolving the city from the URL, once per request, and binding it to the session."""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, render_template, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from saas.tenancy.cache import EXTENSION_KEY, cached_tenant
from saas.tenancy.scope import bind_tenant, current_tenant

TENANT_ARG = "tenant_slug"
#: The paused page still wears the city's logo and colours.
SERVED_WHILE_PAUSED = frozenset({"tenancy.logo", "tenancy.theme"})


class TenantPaused(Exception):
    """The city is suspended: pages show the paused page, the API answers 503."""

    def __init__(self, tenant):
        self.tenant = tenant


def _resolve_tenant(endpoint, values):
    if not values or TENANT_ARG not in values:
        return
    slug = values.pop(TENANT_ARG)
    tenant = cached_tenant(slug)
    if tenant is None:
        abort(404)
    bind_tenant(tenant)
    if not tenant.is_active and endpoint not in SERVED_WHILE_PAUSED:
        raise TenantPaused(tenant)


#: Stands for the visitor's CSRF token in a shared page; random per process, so no page can hold it.
_TOKEN_MARK = "antar-csrf-" + secrets.token_hex(16)


def shared_city_page(template: str, context=dict) -> str:
    """``render_template(template, tenant=current_tenant, **context())`` for a page that is the same
    for every visitor of the city in one language: rendered once per city and language, and kept
    as long as the city stays in the per-process city cache (``cache.TenantCache.page``), so a
    change of the city is on the page as soon as it is on any other.

    Only the visitor's own CSRF token differs: the page is kept with a mark in its place, and each
    answer gets the token of its own session. A visitor with a message waiting (``flash``) gets the
    page rendered for them alone. ``CITY_PAGE_CACHE = False`` renders every time (the demo, whose
    every page says how far its history is)."""
    tenant = current_tenant._get_current_object()
    cache = current_app.extensions.get(EXTENSION_KEY)
    if cache is None or not current_app.config.get("CITY_PAGE_CACHE", True) or session.get("_flashes"):
        return render_template(template, tenant=tenant, **context())
    token = generate_csrf()

    def render() -> str:
        return render_template(template, tenant=tenant, **context()).replace(token, _TOKEN_MARK)

    page = cache.page(tenant, (template, str(get_locale()), request.script_root), render)
    return page.replace(_TOKEN_MARK, token)


def _add_tenant_slug(endpoint, values):
    if TENANT_ARG in values:
        return
    tenant = current_tenant._get_current_object()
    if tenant is not None and _expects_slug(endpoint):
        values[TENANT_ARG] = tenant.slug


def _expects_slug(endpoint: str) -> bool:
    """Asked for every link a page builds (fifty on a queue page): the rules do not change once
    the app serves, so each endpoint's answer is kept."""
    known = current_app.extensions.setdefault("antar_slug_endpoints", {})
    if endpoint not in known:
        known[endpoint] = current_app.url_map.is_endpoint_expecting(endpoint, TENANT_ARG)
    return known[endpoint]


def city_blueprint(name: str, import_name: str, url_prefix: str = "", *, api: bool = False,
                   **kwargs) -> Blueprint:
    """A blueprint whose every route sits under the city's slug and sees only that city."""
    root = "/api/v1/<tenant_slug>" if api else "/<tenant_slug>"
    bp = Blueprint(name, import_name, url_prefix=root + url_prefix, **kwargs)
    bp.url_value_preprocessor(_resolve_tenant)
    bp.url_defaults(_add_tenant_slug)
    return bp


def paused_response(error: TenantPaused):
    if request.path.startswith("/api/"):
        return {"error": "service_paused",
                "message": "Layanan kota ini sedang dihentikan sementara."}, 503
    staff = "/office/" in request.path or request.path.endswith("/office")
    return render_template("errors/paused.html", tenant=error.tenant, staff=staff), 503


