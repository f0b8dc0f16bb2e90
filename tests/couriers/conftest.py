"""Courier tests run against the built-in Go-Send and Grab sandboxes, over real HTTP."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from saas.couriers import services
from saas.couriers.models import Delivery
from saas.sandbox_registry import forget as forget_sandbox_registrations
from saas.couriers.services import Destination
from saas.documents.lifecycle import Actor
from saas.documents.services import get_document
from saas.extensions import db
from saas.jobs import runtime
from saas.sandboxes import couriers as sandbox
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.factories import add_document

# A working hour in both WIB and WITA, so service-hour checks pass unless a test says otherwise.
WORKING_HOUR = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)  # 11:00 WITA, 10:00 WIB
DESTINATIONS = {
    "balikpapan": Destination("Siti Aminah", "+6281234560001", "Jl. Jenderal Sudirman No. 12, RT 03",
                              "64.71.06", "Klandasan Ulu", -1.2700, 116.8280, "Pagar hijau"),
    "tangerang-selatan": Destination("Budi Santoso", "+6281234560002", "Jl. Pajajaran No. 5",
                                     "36.74.06", "Pamulang Barat", -6.3400, 106.7370, ""),
    "surabaya": Destination("Dewi Lestari", "+6281234560003", "Jl. Darmo No. 40", "35.78.04", "Darmo",
                            -7.2900, 112.7380, ""),
    "bontang": Destination("Rahmat", "+6281234560004", "Jl. Brigjen Katamso No. 8", "64.74.01", "Api-Api",
                           0.1330, 117.4990, ""),
    "samarinda": Destination("Nur", "+6281234560005", "Jl. Juanda No. 3", "64.72.03", "Air Putih",
                             -0.4800, 117.1500, ""),
}


@pytest.fixture(autouse=True)
def courier_sandbox(live_server):
    sandbox.reset()
    sandbox.set_callback_mode("async")
    forget_sandbox_registrations()
    yield sandbox
    sandbox.reset()


def request_delivery(app, slug: str = "balikpapan", provider: str = "gosend", documents: int = 1,
                     now: datetime = WORKING_HOUR, at_next_opening: bool = False) -> int:
    """A ready document (or a family's) for which the citizen requested a courier (outside courier
    hours, ``at_next_opening`` asks for it to be booked when they open)."""
    numbers = [add_document(app, slug=slug, status="ready", kk_number="6471050101200777",
                            doc_type=("ktp_el", "kia")[n % 2] if slug == "balikpapan" else "ktp_el")
               for n in range(documents)]
    with app.app_context():
        tenant = get_tenant(slug)
        with tenant_bound(tenant):
            docs = [get_document(n) for n in numbers]
            destination = DESTINATIONS[slug]
            quoted = services.quote(destination, provider)
            delivery = services.request_delivery(docs, destination, provider, quoted,
                                                 Actor.citizen(), now=now, at_next_opening=at_next_opening)
            db.session.commit()
            return delivery.id


def load(app, delivery_id: int, slug: str = "balikpapan") -> Delivery:
    with app.app_context(), tenant_bound(get_tenant(slug)):
        delivery = db.session.get(Delivery, delivery_id)
        # Touch what tests read, so the object is usable after the context closes.
        _ = [e.to_status for d in delivery.documents for e in d.events], [e.status for e in delivery.events]
        db.session.expunge_all()
        return delivery


def run_jobs(app) -> int:
    with app.app_context():
        return runtime(app).run_pending()


def deliveries_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)
                                 .execution_options(all_tenants=True))
