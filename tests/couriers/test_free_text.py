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


def test_a_nik_in_a_courier_supplied_reason_and_names_is_masked_and_the_raw_callback_too(app, client):
    from saas.couriers.models import CourierCallback
    from saas.sandboxes import couriers as sandbox
    from tests.couriers.conftest import run_jobs
    from tests.couriers.test_webhooks import _gosend_body
    import sqlalchemy as sa

    delivery_id = request_delivery(app, "balikpapan", "gosend")
    run_jobs(app)
    sandbox.wait_for_callbacks(10)
    delivery = load(app, delivery_id)
    body = {**_gosend_body(delivery.provider_ref, "rejected"), "cancellation_reason": f"Penerima NIK {SPACED} menolak",
            "receiver_name": f"Siti {DASHED}"}
    response = client.post("/webhooks/couriers/gosend", json=body,
                           headers={"Authorization": "sandbox-balikpapan-gosend-callback_token"})
    assert response.status_code == 200
    delivery = load(app, delivery_id)
    assert delivery.status == "failed"
    assert delivery.failure_reason == "Penerima NIK 6471**********01 menolak"
    assert delivery.receiver_name == "Siti 6471**********02"
    assert all(SPACED not in (e.note or "") for e in delivery.events)
    with app.app_context():
        payloads = db.session.scalars(sa.select(CourierCallback.payload)
                                      .execution_options(all_tenants=True)).all()
    assert payloads and not any(SPACED in str(p) or DASHED in str(p) for p in payloads)


def test_a_nik_in_a_manual_courier_record_is_masked(app, staff):
    delivery_id = request_delivery(app, "surabaya", "manual")
    client = staff("operator", slug="surabaya")
    url = f"/surabaya/office/deliveries/{delivery_id}"
    assert submit(client, url, {"action": "record", "outcome": "failed",
                                "note": f"Alamat salah, KK {DOTTED}"}).status_code == 302
    delivery = load(app, delivery_id, "surabaya")
    assert delivery.status == "failed"
    assert delivery.failure_reason == "Alamat salah, KK 6471**********01"
    assert [e.note for e in delivery.events if e.status == "failed"] == ["Alamat salah, KK 6471**********01"]
    page = client.get(url).get_data(as_text=True)
    assert DOTTED not in page and "6471011708900001" not in page
