"""A city's own assets: its logo and its colours, cached by the settings' digest."""
from __future__ import annotations

from flask import Response, abort, render_template, request

from saas.tenancy.web import city_blueprint
from saas.tenancy.scope import current_tenant

bp = city_blueprint("tenancy", __name__)


@bp.get("/logo.svg")
def logo():
    tenant = current_tenant
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
    response = Response(render_template("theme.css", branding=current_tenant.branding), mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.set_etag(current_tenant.settings_digest or current_tenant.slug)
    return response.make_conditional(request)
