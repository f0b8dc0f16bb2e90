"""The platform operator's console (``/admin/``)."""
from __future__ import annotations

from flask import Blueprint, render_template

from saas.accounts.access import superadmin_required
from saas.tenancy.services import list_tenants

bp = Blueprint("console", __name__, url_prefix="/admin")


@bp.get("/")
@superadmin_required
def home():
    return render_template("console/home.html", cities=list_tenants())
