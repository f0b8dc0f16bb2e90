"""The citizen's side: the platform home and each city's portal."""
from __future__ import annotations

from flask import Blueprint, g, render_template

from saas.tenancy.services import list_tenants
from saas.tenancy.views import city_blueprint

platform = Blueprint("platform", __name__)
bp = city_blueprint("portal", __name__)


@platform.get("/")
def home():
    cities = [t for t in list_tenants() if t.is_active]
    return render_template("portal/platform_home.html", cities=cities)


@bp.get("/")
def city_home():
    return render_template("portal/city_home.html", tenant=g.tenant)
