"""Free text on a delivery (the driver note, a cancel reason) never keeps or sends a whole NIK."""
from __future__ import annotations

from saas.couriers import services
from saas.documents.lifecycle import Actor
from saas.documents.services import get_document
from saas.extensions import db
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import submit
from tests.couriers.conftest import DESTINATIONS, WORKING_HOUR, load, request_delivery
from tests.factories import add_document

SPACED, DASHED, DOTTED = "6471 0117 0890 0001", "6471-0545-0890-0002", "64.71.01.170890.0001"


def test_a_nik_in_the_driver_note_is_masked_on_the_delivery_and_in_what_go_send_gets(app):
    number = add_document(app, status="ready")
    with app.app_context():
        tenant = get_tenant("balikpapan")
        with tenant_bound(tenant):
            destination = services.Destination(**{**DESTINATIONS["balikpapan"].__dict__,
                                                  "driver_note": f"Pagar hijau, titip ke NIK {SPACED}"})
            assert services.dropoff_place(destination).note == "Pagar hijau, titip ke NIK 6471**********01"
            quoted = services.quote(destination, "gosend")
            delivery = services.request_delivery([get_document(number)], destination, "gosend", quoted,
                                                 Actor.citizen(), now=WORKING_HOUR)
            db.session.commit()
            assert delivery.driver_note == "Pagar hijau, titip ke NIK 6471**********01"
            delivery.driver_note = f"lama: {DASHED}"  # a note stored before redaction existed
            assert services.dropoff_place(delivery).note == "lama: 6471**********02"
            db.session.rollback()


def test_a_nik_in_a_staff_cancel_reason_is_masked_in_failure_reason(app, staff):
    delivery_id = request_delivery(app, "balikpapan", "gosend")
    client = staff("operator")
    response = submit(client, f"/balikpapan/office/deliveries/{delivery_id}",
                      {"action": "cancel", "reason": f"Warga {DOTTED} minta batal"})
    assert response.status_code == 302
    delivery = load(app, delivery_id)
    assert delivery.status == "cancelled"
    assert delivery.failure_reason == "Warga 6471**********01 minta batal"
    page = client.get(f"/balikpapan/office/deliveries/{delivery_id}").get_data(as_text=True)
    assert DOTTED not in page and "6471011708900001" not in page
