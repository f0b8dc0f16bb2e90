"""A citizen with a delivered document, its trip, the courier's callbacks, messages, a booking, a rating
and a problem report, in Balikpapan; and a neighbour and a Samarinda citizen who must stay untouched."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from saas.couriers.models import CourierCallback, Delivery
from saas.documents.services import get_document
from saas.extensions import db
from saas.notifications.models import Notification
from saas.portal.models import PickupBooking, ProblemReport, Rating
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.factories import add_document, make_nik

LONG_AGO = datetime(2026, 1, 10, 3, 0, tzinfo=timezone.utc)


@dataclass
class Citizen:
    nik: str
    numbers: list[str]
    delivery_id: int


def make_citizen(app, slug: str, nik: str, serial: int, *, closed_at: datetime = LONG_AGO,
                 open_too: bool = False) -> Citizen:
    numbers = [add_document(app, slug=slug, status="delivered", nik=nik, registration_no=f"DS-{serial:04d}",
                            email=f"warga{serial}@example.test", phone=f"081234{serial:06d}")]
    if open_too:
        numbers.append(add_document(app, slug=slug, status="ready", nik=nik, registration_no=f"DS-{serial + 1:04d}",
                                    phone=f"081234{serial + 1:06d}"))
    with app.app_context():
        tenant = get_tenant(slug)
        with tenant_bound(tenant):
            document = get_document(numbers[0])
            trip = Delivery(tenant_id=tenant.id, provider="gosend", mode="office_booking", status="delivered",
                            recipient_name=f"Penerima {serial}", recipient_phone=f"+6281299{serial:06d}",
                            address=f"Jl. Melati No. {serial}, RT 04", kelurahan="Damai", latitude=-1.27,
                            longitude=116.83, driver_note="Pagar biru", pickup_code=f"ANT-{serial:06d}",
                            receipt_pin="123456", seal_number=f"S-{serial}", driver_name="Agus",
                            receiver_name=f"Ibu {serial}", closed_at=closed_at, payer="citizen")
            db.session.add(trip)
            db.session.flush()
            document.delivery_id = trip.id
            db.session.add(CourierCallback(tenant_id=tenant.id, provider="gosend", event_key=f"evt-{serial}",
                                           delivery_id=trip.id, outcome="applied", received_at=closed_at,
                                           payload={"receiver_name": f"Ibu {serial}", "status": "delivered"}))
            db.session.add(Notification(tenant_id=tenant.id, document_id=document.id, event="document_ready",
                                        event_key=f"ready:{serial}", channel="whatsapp",
                                        recipient=f"+6281234{serial:06d}", template="antar_document_ready",
                                        params=[f"Warga {serial}"], body=f"Halo Warga {serial}, dokumen siap.",
                                        status="delivered", sent_at=closed_at, delivered_at=closed_at,
                                        created_at=closed_at, updated_at=closed_at))
            db.session.add(PickupBooking(tenant_id=tenant.id, document_id=document.id, starts_at=closed_at,
                                         code=f"BK{serial:04d}", status="cancelled"))
            db.session.add(Rating(tenant_id=tenant.id, document_id=document.id, delivery_id=trip.id, score=4,
                                  comment=f"Cepat, terima kasih {serial}", at=closed_at))
            db.session.add(ProblemReport(tenant_id=tenant.id, document_id=document.id, delivery_id=trip.id,
                                         kind="other", note=f"Segel agak sobek {serial}"))
            db.session.commit()
            return Citizen(nik, numbers, trip.id)


@pytest.fixture
def citizens(app):
    """(the subject, a neighbour in the same city, a Samarinda citizen)"""
    return (make_citizen(app, "balikpapan", make_nik(serial=7101), 7101, open_too=True),
            make_citizen(app, "balikpapan", make_nik(serial=7201), 7201),
            make_citizen(app, "samarinda", make_nik(region="647203", serial=7301), 7301))


def after(days: int) -> datetime:
    return LONG_AGO + timedelta(days=days)
