"""The office workspace of a city (``/<slug>/office/``)."""
from __future__ import annotations

from flask import g, render_template

from saas.accounts.access import staff_required
from saas.tenancy.views import city_blueprint

office = city_blueprint("office", __name__, "/office")


@office.get("/")
@staff_required("operator")
def home():
    return render_template("office/home.html", tenant=g.tenant)
