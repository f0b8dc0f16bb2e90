"""The citizens' JSON look-up of a document on a courier trip: the trip comes with it, in the
citizen's words, and only from the document's own city."""
from __future__ import annotations

from saas.couriers import services
from saas.documents.lifecycle import Actor
from saas.documents.services import get_document
from saas.extensions import db
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.couriers.conftest import DESTINATIONS, WORKING_HOUR
from tests.factories import add_document, make_nik


def test_the_look_up_answers_the_trip_with_the_document_and_only_in_its_own_city(app, client, courier_sandbox):
    nik = make_nik(serial=4471)
    number = add_document(app, status="ready", nik=nik, registration_no="PT-TRIP-1")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        document = get_document(number)
        quoted = services.quote(DESTINATIONS["balikpapan"], "gosend")
        trip = services.request_delivery([document], DESTINATIONS["balikpapan"], "gosend", quoted,
                                         Actor.citizen(), now=WORKING_HOUR)
        db.session.commit()
        seal, status = trip.seal_number, trip.status

    answer = client.post("/api/v1/balikpapan/public/status", json={"registration_no": "pt-trip-1 ", "nik": nik})
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["status"], body["status_label"]) == ("delivery_requested", "Pengantaran diminta")
    assert body["next_steps"] == ["track_delivery", "give_receipt_pin_to_driver"]
    assert body["delivery"]["status"] == status and body["delivery"]["provider"] == "gosend"
    assert body["delivery"]["seal_number"] == seal
    assert body["delivery"]["status_label"] and body["delivery"]["status_label"] != status  # words, not a code

    elsewhere = client.post("/api/v1/samarinda/public/status", json={"registration_no": "PT-TRIP-1", "nik": nik})
    miss = client.post("/api/v1/balikpapan/public/status", json={"registration_no": "PT-NONE", "nik": nik})
    assert elsewhere.status_code == 404 and elsewhere.get_json() == miss.get_json()
