"""The demo's history on a real database: no unique key it can trip over."""
from __future__ import annotations

import itertools
import random
from datetime import datetime, timezone

import sqlalchemy as sa

from saas.couriers.models import Delivery
from saas.extensions import db
from saas.sandboxes import demo_history
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant


def test_history_draws_pickup_codes_again_when_they_collide(app, monkeypatch):
    """Three years at 400 a day meet pickup-code collisions for certain: the first demo run on
    PostgreSQL crashed on uq_delivery_tenant_id_pickup_code. Here every code is drawn twice."""
    codes = itertools.chain.from_iterable((f"P{n:07d}", f"P{n:07d}") for n in itertools.count())
    monkeypatch.setattr(demo_history, "new_pickup_code", lambda: next(codes))
    with app.app_context():
        tenant = get_tenant("balikpapan")
        with tenant_bound(tenant):
            demo_history.fill_city(tenant, random.Random(3), datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc),
                                   days=30, scale=0.1)
        db.session.commit()
        with all_tenants():
            drawn = db.session.scalars(sa.select(Delivery.pickup_code)).all()
    assert drawn and len(drawn) == len(set(drawn))
