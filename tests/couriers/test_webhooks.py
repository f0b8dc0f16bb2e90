"""Courier callbacks: authenticated, stored once, applied forward only, never across cities."""
from __future__ import annotations

import time
import uuid

import sqlalchemy as sa

from saas.couriers.models import CourierCallback
from saas.extensions import db
from saas.sandboxes import couriers as sandbox
from tests.couriers.conftest import load, request_delivery, run_jobs


def _gosend_body(ref, status, event_id=None, store_order_id=None):
    return {"entity_id": ref, "type": "booking_event", "event_id": event_id or str(uuid.uuid4()),
            "event_date": int(time.time() * 1000), "status": status, "booking_id": 1,
            "store_order_id": store_order_id, "driver_name": "Agus", "driver_phone": "081234567890",
            "vehicle_number": "KT 1234 AB", "receiver_name": "Siti", "live_tracking_url": None,
            "cancellation_reason": None}


def _stored(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(CourierCallback)
                                 .execution_options(all_tenants=True))


def _booked(app, slug="balikpapan"):
    delivery_id = request_delivery(app, slug, "gosend")
    run_jobs(app)
    sandbox.wait_for_callbacks(10)
    return load(app, delivery_id, slug)


def test_bad_or_missing_token_is_401_and_nothing_is_stored(app, client):
    delivery = _booked(app)
    before = _stored(app)
    body = _gosend_body(delivery.provider_ref, "allocated")
    assert client.post("/webhooks/couriers/gosend", json=body).status_code == 401
    assert client.post("/webhooks/couriers/gosend", json=body,
                       headers={"Authorization": "wrong-token"}).status_code == 401
    assert _stored(app) == before
    assert load(app, delivery.id).status == "booked"


def test_malformed_body_is_400(app, client):
    token = "sandbox-balikpapan-gosend-callback_token"
    assert client.post("/webhooks/couriers/gosend", data="not json", headers={"Authorization": token},
                       content_type="application/json").status_code == 400
    assert client.post("/webhooks/couriers/gosend", json={"status": "delivered"},
                       headers={"Authorization": token}).status_code == 400
    assert client.post("/webhooks/couriers/grab", json=[1, 2], headers={"Authorization": token}).status_code == 400
    assert client.post("/webhooks/couriers/dhl", json={}).status_code == 404


def test_repeated_event_id_is_a_no_op(app, client):
    delivery = _booked(app)
    token = {"Authorization": "sandbox-balikpapan-gosend-callback_token"}
    body = _gosend_body(delivery.provider_ref, "allocated", event_id="evt-1")
    first = client.post("/webhooks/couriers/gosend", json=body, headers=token)
    again = client.post("/webhooks/couriers/gosend", json=body, headers=token)
    assert first.status_code == again.status_code == 200
    assert again.get_json()["result"] == "duplicate ignored"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CourierCallback)
                                 .where(CourierCallback.event_key == "evt-1").execution_options(all_tenants=True)) == 1
    delivery = load(app, delivery.id)
    assert [e.status for e in delivery.events].count("driver_assigned") == 1


def test_late_callbacks_never_move_a_delivery_backwards(app, client):
    delivery = _booked(app)
    token = {"Authorization": "sandbox-balikpapan-gosend-callback_token"}
    for status in ("allocated", "picked", "delivered", "out_for_delivery", "allocated", "confirmed"):
        assert client.post("/webhooks/couriers/gosend", json=_gosend_body(delivery.provider_ref, status),
                           headers=token).status_code == 200
    delivery = load(app, delivery.id)
    assert delivery.status == "delivered"
    assert [e.status for e in delivery.events] == ["booked", "driver_assigned", "picked_up", "delivered"]
    assert [d.status for d in delivery.documents] == ["delivered"]


def test_sandbox_replays_and_out_of_order_events_are_harmless(app):
    delivery = _booked(app)
    sandbox.advance("gosend", delivery.provider_ref)
    sandbox.wait_for_callbacks(10)
    sandbox.replay_last_callback("gosend", delivery.provider_ref)
    sandbox.send_callback("gosend", delivery.provider_ref, "confirmed")
    sandbox.wait_for_callbacks(10)
    delivery = load(app, delivery.id)
    assert delivery.status == "driver_assigned"
    assert [e.status for e in delivery.events] == ["booked", "driver_assigned"]


def test_a_callback_naming_another_citys_delivery_is_refused(app, client):
    balikpapan = _booked(app, "balikpapan")
    bontang_token = {"Authorization": "sandbox-bontang-gosend-callback_token"}
    response = client.post("/webhooks/couriers/gosend", json=_gosend_body(balikpapan.provider_ref, "delivered"),
                           headers=bontang_token)
    assert response.status_code == 401
    assert load(app, balikpapan.id).status == "booked"
    # Naming the delivery by our id instead of the courier's reference changes nothing either.
    response = client.post("/webhooks/couriers/gosend", json=_gosend_body(
        "GK-00-000000", "delivered", store_order_id=f"ANTAR-{balikpapan.id}"), headers=bontang_token)
    assert response.status_code == 401


def test_a_stale_status_never_moves_a_delivery_back(app, client):
    """picked (-5 min), out_for_delivery (-1 min), then an on_hold stamped -3 min: still picked up."""
    delivery = _booked(app)
    token = {"Authorization": "sandbox-balikpapan-gosend-callback_token"}
    now_ms = int(time.time() * 1000) + 10 * 60_000  # later than the sandbox's own booking callbacks
    for status, minutes_ago in (("allocated", 6), ("picked", 5), ("out_for_delivery", 1), ("on_hold", 3)):
        body = dict(_gosend_body(delivery.provider_ref, status), event_date=now_ms - minutes_ago * 60_000)
        assert client.post("/webhooks/couriers/gosend", json=body, headers=token).status_code == 200
    assert load(app, delivery.id).status == "picked_up"
    body = dict(_gosend_body(delivery.provider_ref, "on_hold"), event_date=now_ms)
    assert client.post("/webhooks/couriers/gosend", json=body, headers=token).status_code == 200
    assert load(app, delivery.id).status == "on_hold"  # a fresh hold still applies
