"""Hypothesis-made webhook bodies with the right credentials: courier callbacks (Go-Send, GrabExpress)
and signed WhatsApp receipts. Never a server error; a refused body stores nothing and moves nothing."""
from __future__ import annotations

import hashlib
import hmac
import json

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from saas.couriers.models import CourierCallback, Delivery
from saas.documents.services import get_document
from saas.extensions import db
from saas.notifications.models import Notification
from saas.routing import remember
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.factories import add_document
from tests.fuzz.conftest import examples

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)
NUMBERS = st.one_of(st.integers(), st.floats(), st.sampled_from([1e300, -1, 0, 2**63, 10**30]))
GOSEND_STATUSES = ["confirmed", "allocated", "out_for_pickup", "picked", "out_for_delivery", "on_hold",
                   "delivered", "cancelled", "rejected", "no_driver"]
GRAB_STATUSES = ["ALLOCATING", "PICKING_UP", "IN_DELIVERY", "COMPLETED", "CANCELED", "FAILED", "RETURNED"]


def _trip(app, slug: str, provider: str, ref: str) -> int:
    number = add_document(app, slug=slug, status="delivery_requested")
    with app.app_context():
        tenant = get_tenant(slug)
        with tenant_bound(tenant):
            document = get_document(number)
            trip = Delivery(tenant_id=tenant.id, provider=provider, mode="office_booking", status="booked",
                            provider_ref=ref, pickup_code=f"ANT-{abs(hash(ref)) % 10**6:06d}", receipt_pin="123456",
                            recipient_name="Siti", recipient_phone="+6281234560001", address="Jl. Fuzz No. 1")
            db.session.add(trip)
            db.session.flush()
            document.delivery_id = trip.id
            remember(f"courier:{provider}", ref, tenant.id, trip.id)
            db.session.commit()
            return trip.id


def _state(app):
    with app.app_context(), all_tenants():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(CourierCallback)),
                db.session.execute(sa.select(Delivery.id, Delivery.status, Delivery.version)
                                   .order_by(Delivery.id)).all())


def _post_and_check(app, client, url, body, headers):
    before = _state(app)
    data = body if isinstance(body, (bytes, str)) else json.dumps(body, allow_nan=True)
    response = client.post(url, data=data, headers=headers, content_type="application/json")
    assert response.status_code < 500, (response.status_code, data[:300])
    if response.status_code >= 400:
        assert response.mimetype == "application/json"
        assert _state(app) == before  # refused: nothing stored, nothing moved
    return response


def _memo(holder, key, make):
    if not hasattr(holder, key):
        setattr(holder, key, make())
    return getattr(holder, key)


@given(status=st.one_of(st.sampled_from(GOSEND_STATUSES), JSON), event_date=st.one_of(NUMBERS, JSON),
       event_id=st.one_of(st.uuids().map(str), JSON), store_order_id=st.one_of(
           st.none(), st.from_regex(r"ANTAR-[0-9]{1,25}", fullmatch=True), JSON),
       driver=st.one_of(st.text(max_size=30), JSON), extra=st.dictionaries(st.text(max_size=10), JSON, max_size=3),
       ours=st.booleans())
@examples(30)
def test_fuzzed_gosend_callbacks(app, client, status, event_date, event_id, store_order_id, driver, extra, ours):
    ref = _memo(client, "gosend_ref", lambda: ("GK-11-900001", _trip(app, "balikpapan", "gosend", "GK-11-900001")))[0]
    body = {**extra, "entity_id": ref if ours else "GK-00-000000", "type": "booking_event", "event_id": event_id,
            "event_date": event_date, "status": status, "booking_id": 1, "store_order_id": store_order_id,
            "driver_name": driver, "driver_phone": driver, "receiver_name": driver, "cancellation_reason": driver}
    _post_and_check(app, client, "/webhooks/couriers/gosend", body,
                    {"Authorization": "sandbox-balikpapan-gosend-callback_token"})


@given(status=st.one_of(st.sampled_from(GRAB_STATUSES), JSON), timestamp=st.one_of(NUMBERS, st.text(max_size=30), JSON),
       driver=st.one_of(st.fixed_dictionaries({"name": JSON, "phone": JSON, "licensePlate": JSON}), JSON),
       proof=JSON, merchant=st.one_of(st.from_regex(r"ANTAR-[0-9]{1,25}", fullmatch=True), JSON), ours=st.booleans())
@examples(25)
def test_fuzzed_grab_callbacks(app, client, status, timestamp, driver, proof, merchant, ours):
    ref = _memo(client, "grab_ref", lambda: ("GRAB-FZ-1", _trip(app, "surabaya", "grab", "GRAB-FZ-1")))[0]
    body = {"deliveryID": ref if ours else "GRAB-NOPE", "status": status, "timestamp": timestamp, "driver": driver,
            "proofOfDelivery": proof, "merchantOrderID": merchant, "failedReason": driver, "trackURL": proof}
    _post_and_check(app, client, "/webhooks/couriers/grab", body,
                    {"Authorization": "sandbox-surabaya-grab-callback_secret"})


RECEIPT_STATUS = st.fixed_dictionaries({
    "id": st.one_of(st.just("wamid.FUZZ"), JSON), "status": st.one_of(st.sampled_from(["sent", "delivered", "read",
                                                                                       "failed"]), JSON),
    "timestamp": st.one_of(NUMBERS.map(str), NUMBERS, JSON), "recipient_id": st.one_of(st.text(max_size=15), JSON),
}, optional={"errors": JSON, "biz_opaque_callback_data": JSON})


@given(entry=st.one_of(
    st.lists(st.fixed_dictionaries({"id": JSON, "changes": st.one_of(st.lists(st.fixed_dictionaries({
        "field": st.one_of(st.just("messages"), JSON),
        "value": st.one_of(st.fixed_dictionaries({"statuses": st.one_of(st.lists(RECEIPT_STATUS, max_size=3), JSON)}),
                           JSON)}), max_size=2), JSON)}), max_size=2), JSON))
@examples(30)
def test_fuzzed_whatsapp_receipts(app, client, entry):
    before = _messages(app)
    raw = json.dumps({"object": "whatsapp_business_account", "entry": entry}, allow_nan=True).encode()
    signature = "sha256=" + hmac.new(b"sandbox-whatsapp-app-secret", raw, hashlib.sha256).hexdigest()
    response = client.post("/webhooks/messages/whatsapp", data=raw, content_type="application/json",
                           headers={"X-Hub-Signature-256": signature})
    assert response.status_code < 500, (response.status_code, raw[:300])
    if response.status_code >= 400:
        assert _messages(app) == before


def _messages(app):
    with app.app_context(), all_tenants():
        return db.session.execute(sa.select(Notification.id, Notification.status, Notification.updated_at)
                                  .order_by(Notification.id)).all()
