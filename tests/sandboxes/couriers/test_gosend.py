"""The Go-Send-shaped sandbox: its API, its webhooks, its scenarios."""
from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from saas.sandboxes import couriers
from saas.sandboxes.couriers import store
from saas.sandboxes.couriers.gosend import PATHS
from tests.sandboxes.couriers.conftest import CALLBACK_TOKEN, GOSEND_CLIENT
from tests.sandboxes.couriers.payloads import (
    BEYOND_BOTH,
    HOME,
    NEXT_DOOR,
    OFFICE,
    gosend_booking,
    lat_long,
)

API = "/sandbox/gosend/gokilat/v10"
JAKARTA = ZoneInfo("Asia/Jakarta")


def at_jakarta(monkeypatch, hour: int, minute: int = 0):
    moment = datetime(2025, 3, 4, hour, minute, tzinfo=JAKARTA)
    monkeypatch.setattr(store, "clock", lambda: moment)


def price(sandbox, auth, destination, **params):
    query = {"origin": lat_long(OFFICE), "destination": lat_long(destination), "paymentType": 3, **params}
    return sandbox.get(f"{API}/calculate/price", query_string=query, headers=auth)


def book(sandbox, auth, **kwargs):
    response = sandbox.post(f"{API}/booking", json=gosend_booking(**kwargs), headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["orderNo"]


def refusal(response) -> str:
    message = response.get_json()["errors"][0]["message"]
    assert response.headers["Error-Message"] == message
    assert response.get_json()["errors"][0]["message_severity"] == "error"
    return message


def test_calls_without_the_partners_client_id_and_pass_key_are_refused(sandbox, gosend_auth):
    for headers in ({}, {"Client-ID": GOSEND_CLIENT, "Pass-Key": "wrong"}, {"Client-ID": "x", "Pass-Key": "y"}):
        response = price(sandbox, headers, HOME)
        assert response.status_code == 401
        assert "Pass-Key" in refusal(response)
    assert sandbox.post(f"{API}/booking", json=gosend_booking()).status_code == 401
    assert price(sandbox, gosend_auth, HOME).status_code == 200


def test_price_per_method_follows_road_distance_with_minimum_and_rounding_up(sandbox, gosend_auth, monkeypatch):
    at_jakarta(monkeypatch, 10)
    quotes = price(sandbox, gosend_auth, HOME).get_json()
    assert quotes["Instant"] == {
        "shipment_method": "Instant", "shipment_method_description": "Instant Delivery", "serviceable": True,
        "active": True, "distance": 13.9, "price": {"total_price": 35000}, "errors": [],
    }  # 2500 × 13.9 = 34750 → 35000
    assert quotes["SameDay"]["price"] == {"total_price": 25500}  # 1800 × 13.9 = 25020 → 25500
    assert quotes["SameDay"]["serviceable"] is True
    near = price(sandbox, gosend_auth, NEXT_DOOR).get_json()
    assert near["Instant"]["distance"] == 0.8
    assert (near["Instant"]["price"]["total_price"], near["SameDay"]["price"]["total_price"]) == (15000, 12000)


def test_price_beyond_40_km_is_not_serviceable(sandbox, gosend_auth, monkeypatch):
    at_jakarta(monkeypatch, 10)
    quotes = price(sandbox, gosend_auth, BEYOND_BOTH).get_json()
    for method in ("Instant", "SameDay"):
        assert quotes[method]["serviceable"] is False
        assert quotes[method]["distance"] == 41.7
        assert [e["code"] for e in quotes[method]["errors"]] == ["DISTANCE_LIMIT_EXCEEDED"]


@pytest.mark.parametrize("hour, minute, open_", [(5, 59, False), (6, 0, True), (16, 59, True), (17, 0, False)])
def test_same_day_is_offered_only_from_six_to_five_jakarta_time(sandbox, gosend_auth, monkeypatch,
                                                                hour, minute, open_):
    at_jakarta(monkeypatch, hour, minute)
    quotes = price(sandbox, gosend_auth, HOME).get_json()
    assert quotes["Instant"]["serviceable"] is True
    assert quotes["SameDay"]["serviceable"] is open_
    if not open_:
        assert quotes["SameDay"]["errors"][0]["code"] == "OUTSIDE_SERVICE_HOURS"
    response = sandbox.post(f"{API}/booking", json=gosend_booking(method="SameDay"), headers=gosend_auth)
    assert response.status_code == (201 if open_ else 422)


def test_price_with_a_malformed_origin_is_a_400(sandbox, gosend_auth):
    for origin in ("-1.25", "abc,def", "-91,116", ""):
        response = sandbox.get(f"{API}/calculate/price", headers=gosend_auth,
                               query_string={"origin": origin, "destination": lat_long(HOME), "paymentType": 3})
        assert response.status_code == 400
        assert "origin" in refusal(response)


@pytest.mark.parametrize("missing", ["originContactPhone", "destinationLatLong", "destinationContactName", "item",
                                     "storeOrderId"])
def test_booking_names_the_missing_field(sandbox, gosend_auth, missing):
    body = gosend_booking()
    del body["routes"][0][missing]
    response = sandbox.post(f"{API}/booking", json=body, headers=gosend_auth)
    assert response.status_code == 400
    assert refusal(response) == f"{missing} is required"


@pytest.mark.parametrize("phone, accepted", [
    ("081234567890", True), ("6281234567890", True), ("+6281234567890", True), ("0812345678", True),
    ("081234", False), ("0812345678901234", False), ("021555123", False), ("+6581234567", False),
    ("08-1234-5678", False),
])
def test_booking_accepts_only_indonesian_mobile_numbers(sandbox, gosend_auth, phone, accepted):
    response = sandbox.post(f"{API}/booking", json=gosend_booking(destinationContactPhone=phone), headers=gosend_auth)
    assert response.status_code == (201 if accepted else 400)
    if not accepted:
        assert "destinationContactPhone" in refusal(response)


def test_booking_refuses_bad_coordinates_method_payment_and_distance(sandbox, gosend_auth):
    bad = sandbox.post(f"{API}/booking", json=gosend_booking(originLatLong="Balikpapan"), headers=gosend_auth)
    assert bad.status_code == 400 and "originLatLong" in refusal(bad)
    body = gosend_booking()
    body["shipment_method"] = "Car"
    assert sandbox.post(f"{API}/booking", json=body, headers=gosend_auth).status_code == 400
    body = gosend_booking()
    body["paymentType"] = 1
    assert sandbox.post(f"{API}/booking", json=body, headers=gosend_auth).status_code == 400
    far = sandbox.post(f"{API}/booking", json=gosend_booking(destination=BEYOND_BOTH), headers=gosend_auth)
    assert far.status_code == 422
    assert refusal(far).startswith("Distance exceeds 40 km")


def test_happy_path_sends_one_callback_per_status_with_the_token(sandbox, gosend_auth, receiver):
    response = sandbox.post(f"{API}/booking", json=gosend_booking(), headers=gosend_auth)
    assert response.status_code == 201
    created = response.get_json()
    assert re.fullmatch(r"GK-11-\d{6}", created["orderNo"])
    assert created["storeOrderId"] == "ANTAR-BPN-0001" and isinstance(created["id"], int)
    order_no = created["orderNo"]
    assert receiver.statuses("gosend") == ["confirmed"]

    for _ in range(5):
        couriers.advance("gosend", order_no)
    assert receiver.statuses("gosend") == ["confirmed", "allocated", "out_for_pickup", "picked",
                                           "out_for_delivery", "delivered"]
    assert {call["authorization"] for call in receiver.calls} == {CALLBACK_TOKEN}
    bodies = receiver.bodies("gosend")
    assert len({body["event_id"] for body in bodies}) == 6
    confirmed, allocated, delivered = bodies[0], bodies[1], bodies[-1]
    uuid.UUID(confirmed["event_id"])
    assert confirmed["driver_name"] is None and confirmed["receiver_name"] is None
    assert {key: confirmed[key] for key in ("entity_id", "type", "partner_id", "booking_id", "booking_type",
                                            "store_order_id", "total_distance_in_kms", "price")} == {
        "entity_id": order_no, "type": "booking_event", "partner_id": GOSEND_CLIENT, "booking_id": created["id"],
        "booking_type": "instant", "store_order_id": "ANTAR-BPN-0001", "total_distance_in_kms": 13.9,
        "price": 35000}
    assert isinstance(confirmed["event_date"], int) and confirmed["event_date"] > 1_600_000_000_000
    assert allocated["driver_name"] and allocated["driver_phone"].startswith("08")
    assert re.fullmatch(r"[A-Z]{1,2} \d{4} [A-Z]{2}", allocated["vehicle_number"])
    assert allocated["vehicle_number"].startswith("KT ")  # a Balikpapan driver
    assert allocated["driver_photo_url"].startswith("http://localhost/sandbox/gosend/_photos/")
    assert delivered["receiver_name"] == "Siti Rahmawati" and delivered["cancellation_reason"] is None
    assert delivered["live_tracking_url"] == f"http://localhost/sandbox/gosend/track/{order_no}"
    with pytest.raises(couriers.BookingClosed):
        couriers.advance("gosend", order_no)


def test_status_lookup_follows_the_booking(sandbox, gosend_auth):
    order_no = book(sandbox, gosend_auth)
    order = sandbox.get(f"{API}/booking/orderno/{order_no}", headers=gosend_auth).get_json()
    assert order["status"] == "confirmed" and order["driverName"] is None
    assert order["orderCreatedTime"].endswith("+07:00") and order["orderDispatchTime"] is None
    couriers.run("gosend", order_no)
    order = sandbox.get(f"{API}/booking/orderno/{order_no}", headers=gosend_auth).get_json()
    assert order["status"] == "delivered" and order["receiverName"] == "Siti Rahmawati"
    assert order["totalPrice"] == 35000 and order["vehicleNumber"] and order["driverPhone"].startswith("08")
    assert all(order[key] for key in ("orderDispatchTime", "orderArrivalTime", "orderClosedTime"))
    assert order["liveTrackingUrl"].endswith(f"/sandbox/gosend/track/{order_no}")
    assert order["sellerAddressName"].startswith("Jl. Jend. Sudirman")
    missing = sandbox.get(f"{API}/booking/orderno/GK-11-000000", headers=gosend_auth)
    assert missing.status_code == 404 and refusal(missing)


def test_another_partner_cannot_see_the_booking_and_store_order_id_finds_the_newest(sandbox, gosend_auth, receiver):
    first, second = book(sandbox, gosend_auth), book(sandbox, gosend_auth)
    newest = sandbox.get(f"{API}/booking/storeOrderId/ANTAR-BPN-0001", headers=gosend_auth).get_json()
    assert newest["orderNo"] == second != first
    couriers.register_partner("gosend", "other-city", "other-key", receiver.url("other"), "t")
    other = {"Client-ID": "other-city", "Pass-Key": "other-key"}
    assert sandbox.get(f"{API}/booking/orderno/{first}", headers=other).status_code == 404
    assert sandbox.get(f"{API}/booking/storeOrderId/ANTAR-BPN-0001", headers=other).status_code == 404


@pytest.mark.parametrize("scenario, path", [
    ("no_driver", ["confirmed", "no_driver"]),
    ("on_hold", ["confirmed", "allocated", "out_for_pickup", "picked", "on_hold", "out_for_delivery", "delivered"]),
    ("rejected", ["confirmed", "allocated", "out_for_pickup", "picked", "out_for_delivery", "rejected"]),
    ("cancelled_by_driver", ["confirmed", "allocated", "cancelled"]),
])
def test_each_scenario_follows_its_path(sandbox, gosend_auth, receiver, scenario, path):
    couriers.set_scenario("gosend", scenario)
    order_no = book(sandbox, gosend_auth)
    assert couriers.run("gosend", order_no)["status"] == path[-1]
    assert receiver.statuses("gosend") == path
    last = receiver.bodies("gosend")[-1]
    if scenario in ("no_driver", "rejected", "cancelled_by_driver"):
        assert last["cancellation_reason"]
    if scenario == "no_driver":
        assert last["driver_name"] is None


def test_admin_endpoints_register_partners_and_steer_one_booking(sandbox, receiver):
    assert sandbox.put("/sandbox/gosend/_admin/partners/city-x", json={
        "secret": "k", "callback_url": receiver.url("gosend"), "callback_token": "tok"}).status_code == 200
    auth = {"Client-ID": "city-x", "Pass-Key": "k"}
    order_no = book(sandbox, auth)
    assert sandbox.put(f"/sandbox/gosend/_admin/bookings/{order_no}/scenario",
                       json={"scenario": "no_driver"}).get_json()["scenario"] == "no_driver"
    stepped = sandbox.post(f"/sandbox/gosend/_admin/bookings/{order_no}/advance")
    assert stepped.status_code == 200 and stepped.get_json()["status"] == "no_driver"
    assert sandbox.post(f"/sandbox/gosend/_admin/bookings/{order_no}/advance").status_code == 409
    assert sandbox.put("/sandbox/gosend/_admin/scenario", json={"scenario": "nope"}).status_code == 400
    assert sandbox.put("/sandbox/gosend/_admin/scenario", json={"scenario": "rejected"}).status_code == 200
    second = book(sandbox, auth)
    assert sandbox.post(f"/sandbox/gosend/_admin/bookings/{second}/run").get_json()["status"] == "rejected"
    log = sandbox.get("/sandbox/gosend/_admin/callbacks").get_json()["callbacks"]
    assert [entry["http_status"] for entry in log] == [200] * len(receiver.calls)
    assert {call["authorization"] for call in receiver.calls} == {"tok"}
    assert sandbox.post("/sandbox/gosend/_admin/bookings/GK-11-000000/advance").status_code == 404
    assert sandbox.post("/sandbox/gosend/_admin/reset").status_code == 200
    assert couriers.bookings("gosend") == []


def test_cancel_is_allowed_until_pickup_and_refused_after(sandbox, gosend_auth, receiver):
    order_no = book(sandbox, gosend_auth)
    couriers.advance("gosend", order_no)
    response = sandbox.put(f"{API}/booking/cancel", json={"orderNo": order_no}, headers=gosend_auth)
    assert response.status_code == 200
    assert response.get_json() == {"statusCode": 200, "message": "Order cancelled"}
    cancelled = receiver.bodies("gosend")[-1]
    assert cancelled["status"] == "cancelled" and cancelled["cancellation_reason"] == "Cancelled by the partner"

    picked = book(sandbox, gosend_auth)
    for _ in range(3):
        couriers.advance("gosend", picked)
    refused = sandbox.put(f"{API}/booking/cancel", json={"orderNo": picked}, headers=gosend_auth)
    assert refused.status_code == 422 and refusal(refused).startswith("Order cannot be cancelled")
    unknown = sandbox.put(f"{API}/booking/cancel", json={"orderNo": "GK-11-000000"}, headers=gosend_auth)
    assert unknown.status_code == 404
    assert sandbox.put(f"{API}/booking/cancel", json={}, headers=gosend_auth).status_code == 400


def test_replay_repeats_the_event_id_and_send_callback_can_go_out_of_order(sandbox, gosend_auth, receiver):
    order_no = book(sandbox, gosend_auth)
    couriers.advance("gosend", order_no)
    replayed = couriers.replay_last_callback("gosend", order_no)
    first, again = receiver.bodies("gosend")[-2:]
    assert first == again == replayed and first["status"] == "allocated"

    stale = couriers.send_callback("gosend", order_no, "confirmed", event_id="evt-late")
    assert receiver.bodies("gosend")[-1] == stale
    assert stale["status"] == "confirmed" and stale["event_id"] == "evt-late"
    assert couriers.booking("gosend", order_no)["status"] == "allocated"


def test_failed_callbacks_are_retried_and_every_attempt_is_logged(sandbox, gosend_auth, receiver):
    receiver.replies = [503, 500]
    order_no = book(sandbox, gosend_auth)
    log = couriers.callbacks("gosend")
    assert [(entry["attempt"], entry["http_status"]) for entry in log] == [(1, 503), (2, 500), (3, 200)]
    assert {entry["ref"] for entry in log} == {order_no}
    receiver.replies = [400]
    couriers.advance("gosend", order_no)  # a 4xx is the partner's answer, not a failure to retry
    assert couriers.callbacks("gosend")[-1]["http_status"] == 400 and len(couriers.callbacks("gosend")) == 4


def test_unreachable_partner_is_tried_four_times(sandbox, receiver):
    couriers.register_partner("gosend", "gone", "k", "http://127.0.0.1:9/hooks", "t")
    book(sandbox, {"Client-ID": "gone", "Pass-Key": "k"})
    log = couriers.callbacks("gosend")
    assert [entry["attempt"] for entry in log] == [1, 2, 3, 4]
    assert all(entry["http_status"] is None and entry["error"] for entry in log)


def test_async_mode_delivers_in_order_after_the_request(sandbox, gosend_auth, receiver):
    couriers.set_callback_mode("async")
    order_no = book(sandbox, gosend_auth)
    couriers.run("gosend", order_no)
    assert couriers.wait_for_callbacks(10)
    assert receiver.statuses("gosend")[0] == "confirmed"
    assert receiver.statuses("gosend")[-1] == "delivered" and len(receiver.calls) == 6


def test_auto_advance_moves_open_bookings_on_its_own(sandbox, gosend_auth, receiver):
    order_no = book(sandbox, gosend_auth)
    couriers.set_auto_advance("gosend", 0.02)
    deadline = time.monotonic() + 5
    while "delivered" not in receiver.statuses("gosend") and time.monotonic() < deadline:
        time.sleep(0.01)
    couriers.set_auto_advance("gosend", None)
    assert couriers.booking("gosend", order_no)["status"] == "delivered"
    assert receiver.statuses("gosend") == list(PATHS["happy"])


def test_a_reset_drops_queued_callbacks_so_none_reaches_the_partner_afterwards(sandbox, gosend_auth, receiver):
    """Callbacks queued for one test must not land in the next one's fresh database."""
    couriers.set_callback_mode("async")
    slow = threading.Event()
    original = receiver.server.app.view_functions["hook"]

    def hook(name):
        slow.wait(0.3)  # a partner that takes its time answering
        return original(name)
    receiver.server.app.view_functions["hook"] = hook
    order_no = book(sandbox, gosend_auth)
    couriers.run("gosend", order_no)  # six callbacks queued, each taking 0.3 s
    time.sleep(0.1)
    couriers.reset()
    arrived = len(receiver.calls)
    time.sleep(1.0)
    assert len(receiver.calls) == arrived <= 1
    assert couriers.wait_for_callbacks(5)
