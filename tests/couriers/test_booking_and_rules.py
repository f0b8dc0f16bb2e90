"""Booking jobs never book twice; the city's quota, hours and service area are enforced."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
import requests

from saas.couriers import services
from saas.couriers.jobs import book_delivery
from saas.couriers.providers.base import ProviderError
from saas.couriers.services import DeliveryRefused, Destination
from saas.sandboxes import couriers as sandbox
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.couriers.conftest import DESTINATIONS, WORKING_HOUR, load, request_delivery


def test_a_booking_retried_after_a_timeout_does_not_book_twice(app, monkeypatch):
    delivery_id = request_delivery(app, "balikpapan", "gosend")
    real = requests.request

    def answer_lost(method, url, **kwargs):
        response = real(method, url, **kwargs)  # the courier gets it and books...
        if method == "POST" and url.endswith("/gokilat/v10/booking"):
            raise requests.Timeout("read timed out")  # ...but its answer never reaches us
        return response

    monkeypatch.setattr(requests, "request", answer_lost)
    with app.app_context(), pytest.raises(ProviderError) as lost:
        book_delivery(get_tenant("balikpapan").id, delivery_id)
    assert lost.value.transient
    monkeypatch.setattr(requests, "request", real)
    with app.app_context():
        assert book_delivery(get_tenant("balikpapan").id, delivery_id) in ("adopted", "already booked")
        assert book_delivery(get_tenant("balikpapan").id, delivery_id) == "already booked"
    sandbox.wait_for_callbacks(10)
    bookings = [b for b in sandbox.bookings("gosend") if b["merchant_order_id"] == f"ANTAR-{delivery_id}"]
    assert len(bookings) == 1
    delivery = load(app, delivery_id)
    assert delivery.provider_ref == bookings[0]["ref"]


def _check(app, slug, fn):
    with app.app_context():
        tenant = get_tenant(slug)
        with tenant_bound(tenant):
            return fn(tenant)


def test_service_hours_are_the_citys_local_hours(app):
    # Balikpapan books couriers 08:00–16:00 WITA (UTC+8).
    _check(app, "balikpapan", lambda t: services.check_service_hours(datetime(2026, 11, 25, 0, 30, tzinfo=timezone.utc)))
    with pytest.raises(DeliveryRefused) as refused:
        _check(app, "balikpapan", lambda t: services.check_service_hours(datetime(2026, 11, 25, 8, 5, tzinfo=timezone.utc)))
    assert "08.00–16.00 WITA" in str(refused.value)  # the city's words, not "Asia/Makassar"


def test_the_daily_quota_is_enforced(app):
    tenant_quota = _check(app, "bontang", lambda t: t.courier_settings["daily_quota"])
    with app.app_context():
        tenant = get_tenant("bontang")
        tenant.courier_settings = {**tenant.courier_settings, "daily_quota": 2}
        from saas.extensions import db

        db.session.commit()
    request_delivery(app, "bontang", "gosend")
    request_delivery(app, "bontang", "gosend")
    with pytest.raises(DeliveryRefused) as refused:
        request_delivery(app, "bontang", "gosend")
    assert "2" in str(refused.value)
    assert tenant_quota == 30


@pytest.mark.parametrize("change, words", [
    ({"kecamatan_code": "64.72.01"}, "di luar wilayah"),
    ({"kelurahan": "Menteng"}, "kelurahan"),
    ({"latitude": -1.0000, "longitude": 117.2000}, "km dari kantor"),
])
def test_addresses_outside_the_service_area_are_refused_with_the_reason(app, change, words):
    destination = Destination(**{**DESTINATIONS["balikpapan"].__dict__, **change})
    with pytest.raises(DeliveryRefused) as refused:
        _check(app, "balikpapan", lambda t: services.quote(destination, "gosend"))
    assert words in str(refused.value)
    if words.startswith("km"):  # an Indonesian number: a decimal comma, not a point
        assert re.search(r"sekitar \d+,\d km dari kantor; kurir hanya sampai \d+ km\.", str(refused.value)), \
            str(refused.value)


def test_grab_limit_is_35_km_and_the_token_is_reused(app):
    far = Destination(**{**DESTINATIONS["tangerang-selatan"].__dict__, "latitude": -6.1000, "longitude": 106.8600,
                         "kecamatan_code": "36.74.06", "kelurahan": "Pamulang Barat"})
    with pytest.raises(DeliveryRefused):
        _check(app, "tangerang-selatan", lambda t: services.quote(far, "grab"))
    before = sandbox.token_requests("grab")
    for _ in range(3):
        _check(app, "tangerang-selatan", lambda t: services.quote(DESTINATIONS["tangerang-selatan"], "grab"))
    assert sandbox.token_requests("grab") - before <= 1
    assert WORKING_HOUR.tzinfo is timezone.utc
