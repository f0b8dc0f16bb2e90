"""The handover desk, a manual courier, the citizen's own Go-Send order, and the driver's PIN check."""
from __future__ import annotations

from saas.sandboxes import couriers as sandbox
from tests.conftest import submit
from tests.couriers.conftest import load, request_delivery, run_jobs


def test_handover_refuses_wrong_code_other_city_and_wrong_state(app, staff):
    delivery_id = request_delivery(app, "balikpapan", "gosend")
    run_jobs(app)
    sandbox.wait_for_callbacks(10)
    delivery = load(app, delivery_id)
    client = staff("operator")
    wrong = submit(client, "/balikpapan/office/handover", {"code": "ANT-XXXXXX"})
    assert "Tidak ada pengantaran" in wrong.get_data(as_text=True)
    samarinda = staff("operator", slug="samarinda")
    other = submit(samarinda, "/samarinda/office/handover", {"code": delivery.pickup_code})
    assert "Tidak ada pengantaran" in other.get_data(as_text=True)
    client = staff("operator")
    typed = submit(client, "/balikpapan/office/handover", {"code": delivery.pickup_code.lower().replace("-", " ")})
    assert typed.status_code == 302 and delivery.pickup_code in typed.headers["Location"]
    missing = submit(client, f"/balikpapan/office/handover/{delivery.pickup_code}",
                     {"seal_number": "", "driver_name": "Agus", "driver_plate": "KT 1 A"})
    assert load(app, delivery_id).seal_number is None and missing.status_code == 200
    done = submit(client, f"/balikpapan/office/handover/{delivery.pickup_code}",
                  {"seal_number": "S-1", "driver_name": "Agus", "driver_plate": "kt 1234 ab"})
    assert done.status_code == 302
    again = submit(client, f"/balikpapan/office/handover/{delivery.pickup_code}",
                   {"seal_number": "S-2", "driver_name": "Agus", "driver_plate": "KT 1234 AB"})
    assert "tidak ada yang diserahkan" in again.get_data(as_text=True)
    delivery = load(app, delivery_id)
    assert delivery.seal_number == "S-1" and delivery.driver_plate == "KT 1234 AB"


def test_manual_courier_is_recorded_by_hand_with_cash_on_delivery(app, staff):
    delivery_id = request_delivery(app, "surabaya", "manual")
    delivery = load(app, delivery_id, "surabaya")
    assert delivery.fee == 12000 and delivery.cash_on_delivery and delivery.status == "quoted"
    client = staff("operator", slug="surabaya")
    url = f"/surabaya/office/deliveries/{delivery_id}"
    assert submit(client, url, {"action": "record", "outcome": "booked", "tracking_no": "P2611270001"}).status_code == 302
    submit(client, f"/surabaya/office/handover/{delivery.pickup_code}",
           {"seal_number": "SBY-77", "driver_name": "Kurir Pos", "driver_plate": "L 1234 XY"})
    assert submit(client, url, {"action": "record", "outcome": "delivered", "note": "diterima ibu"}).status_code == 302
    delivery = load(app, delivery_id, "surabaya")
    assert delivery.status == "delivered" and delivery.provider_ref == "P2611270001"
    assert [d.status for d in delivery.documents] == ["delivered"]
    page = client.get(url).get_data(as_text=True)
    assert "Rp12.000" in page and "P2611270001" in page


def test_citizen_link_mode_hands_over_to_the_citizens_own_driver(app, staff):
    delivery_id = request_delivery(app, "bontang", "gosend")
    run_jobs(app)
    delivery = load(app, delivery_id, "bontang")
    # The platform booked nothing: the citizen ordered in the Gojek app.
    assert delivery.mode == "citizen_link" and delivery.status == "quoted" and delivery.provider_ref is None
    client = staff("operator", slug="bontang")
    submit(client, f"/bontang/office/handover/{delivery.pickup_code}",
           {"seal_number": "BTG-9", "driver_name": "Rudi", "driver_plate": "KT 4321 BT"})
    delivery = load(app, delivery_id, "bontang")
    assert delivery.status == "picked_up" and [d.status for d in delivery.documents] == ["with_courier"]
    submit(client, f"/bontang/office/deliveries/{delivery_id}", {"action": "record", "outcome": "delivered"})
    assert load(app, delivery_id, "bontang").status == "delivered"


def test_driver_checks_the_receipt_pin(app, client):
    delivery_id = request_delivery(app, "balikpapan", "gosend")
    delivery = load(app, delivery_id)
    url = f"/balikpapan/driver/{delivery.pickup_code}"
    wrong = submit(client, url, {"pin": "000000" if delivery.receipt_pin != "000000" else "111111"})
    assert "PIN tersebut salah" in wrong.get_data(as_text=True)
    right = submit(client, url, {"pin": delivery.receipt_pin})
    assert "PIN benar" in right.get_data(as_text=True)
    assert load(app, delivery_id).pin_verified_at is not None
    assert client.get("/samarinda/driver/" + delivery.pickup_code).status_code == 404
