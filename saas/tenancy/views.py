"""Resolving the city from the URL, once per request, and binding it to the session."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.accounts.access import staff_required
from saas.accounts.services import log_staff_access
from saas.extensions import db

from saas.tenancy.scope import bind_tenant
from saas.tenancy.services import get_tenant

TENANT_ARG = "tenant_slug"


class TenantPaused(Exception):
    """The city is suspended: pages show the paused page, the API answers 503."""

    def __init__(self, tenant):
        self.tenant = tenant


def _resolve_tenant(endpoint, values):
    if not values or TENANT_ARG not in values:
        return
    slug = values.pop(TENANT_ARG)
    tenant = get_tenant(slug)
    if tenant is None:
        abort(404)
    bind_tenant(tenant)
    if not tenant.is_active:
        raise TenantPaused(tenant)


def _add_tenant_slug(endpoint, values):
    if TENANT_ARG in values or g.get("tenant") is None:
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, TENANT_ARG):
        values[TENANT_ARG] = g.tenant.slug


def city_blueprint(name: str, import_name: str, url_prefix: str = "", *, api: bool = False,
                   **kwargs) -> Blueprint:
    """A blueprint whose every route sits under the city's slug and sees only that city."""
    root = "/api/v1/<tenant_slug>" if api else "/<tenant_slug>"
    bp = Blueprint(name, import_name, url_prefix=root + url_prefix, **kwargs)
    bp.url_value_preprocessor(_resolve_tenant)
    bp.url_defaults(_add_tenant_slug)
    return bp


bp = city_blueprint("tenancy", __name__)


@bp.get("/logo.svg")
def logo():
    tenant = g.tenant
    if not tenant.logo_svg:
        abort(404)
    response = Response(tenant.logo_svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.set_etag(tenant.settings_digest or tenant.slug)
    return response.make_conditional(request)


@bp.get("/theme.css")
def theme():
    """The city's colours as CSS variables, so pages need no inline style."""
    response = Response(render_template("theme.css", branding=g.tenant.branding), mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.set_etag(g.tenant.settings_digest or g.tenant.slug)
    return response.make_conditional(request)


def paused_response(error: TenantPaused):
    if request.path.startswith("/api/"):
        return {"error": "service_paused",
                "message": "Layanan kota ini sedang dihentikan sementara."}, 503
    return render_template("errors/paused.html", tenant=error.tenant), 503


# -- the admin's view of the city's settings, and its API tokens -----------------------------------
office_settings = city_blueprint("office_settings", __name__, "/office/settings")


@office_settings.route("/", methods=["GET", "POST"], endpoint="settings")
@staff_required("admin")
def settings_page():
    """Settings are read from tenants/<slug>/tenant.toml; tokens are made and revoked here."""
    from saas.api.services import city_tokens, create_token
    from saas.documents.forms import EmptyForm, TokenForm

    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        token, new_token = create_token(tenant=g.tenant, name=form.name.data, created_by=current_user)
        log_staff_access(current_user, "create_api_token", token.prefix, request.remote_addr)
        db.session.commit()
        flash(_("Token made. Copy it now: it will not be shown again."), "success")
    return render_template("office/settings.html", tenant=g.tenant, form=form, new_token=new_token,
                           tokens=city_tokens(g.tenant), revoke_form=EmptyForm())


@office_settings.post("/tokens/<int:token_id>/revoke", endpoint="revoke_token")
@staff_required("admin")
def revoke_token_view(token_id: int):
    from saas.api.models import ApiToken
    from saas.api.services import revoke_token
    from saas.documents.forms import EmptyForm

    if not EmptyForm().validate_on_submit():
        abort(400)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.tenant_id != g.tenant.id:
        abort(404)
    revoke_token(token)
    log_staff_access(current_user, "revoke_api_token", token.prefix, request.remote_addr)
    db.session.commit()
    flash(_("Token '%(name)s' revoked.", name=token.name), "success")
    return redirect(url_for("office_settings.settings"))
