"""Believable test data: valid NIKs and KK numbers, documents in any state."""
from __future__ import annotations

import itertools
from datetime import date

from saas.documents.lifecycle import Actor, transition
from saas.documents.services import DocumentRules, register_one
from saas.extensions import db
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant

_serial = itertools.count(1)


def make_nik(region: str = "647105", born: date = date(1990, 8, 17), female: bool = False,
             serial: int | None = None) -> str:
    day = born.day + (40 if female else 0)
    number = serial if serial is not None else next(_serial)
    return f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}{number:04d}"


def make_kk(region: str = "647105", serial: int | None = None) -> str:
    return f"{region}010120{(serial if serial is not None else next(_serial)):04d}"


def document_values(n: int | None = None, **overrides) -> dict:
    n = n if n is not None else next(_serial)
    values = {"registration_no": f"TEST-{n:06d}", "nik": make_nik(serial=n % 9999 + 1),
              "name": f"Warga Uji {n}", "doc_type": "ktp_el", "phone": f"08125{n:07d}",
              "email": None, "kk_number": None, "kecamatan": None}
    values.update(overrides)
    return values


def add_document(app, slug: str = "balikpapan", status: str = "received", **overrides) -> str:
    """A document walked through the lifecycle to ``status``; returns its registration number."""
    paths = {
        "received": [], "ready": ["ready"], "pickup_booked": ["ready", "pickup_booked"],
        "delivery_requested": ["ready", "delivery_requested"],
        "with_courier": ["ready", "delivery_requested", "with_courier"],
        "delivered": ["ready", "delivery_requested", "with_courier", "delivered"],
        "returned": ["ready", "delivery_requested", "with_courier", "returned"],
        "collected": ["ready", "collected"], "cancelled": ["cancelled"],
    }
    with app.app_context():
        tenant = get_tenant(slug)
        with tenant_bound(tenant):
            item = DocumentRules(tenant).check(document_values(**overrides))
            assert item.ok, item.errors
            document = register_one(item.values, Actor.system("test"))
            for step in paths[status]:
                transition(document, step, Actor.system("test"))
            db.session.commit()
            return document.registration_no
