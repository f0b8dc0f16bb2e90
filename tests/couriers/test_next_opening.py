"""A courier asked for outside courier hours is recorded with its estimate and booked by a job at the
next opening, quoted again; closed days are skipped; a price far above the estimate is not booked
(issue 14, "Opening hours first")."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from saas.couriers import jobs, services
from saas.couriers.models import Delivery
from saas.extensions import db
from saas.notifications.models import Notification
from saas.sandboxes import couriers as sandbox
from saas.tenancy import calendar
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.couriers.conftest import deliveries_count, load, request_delivery, run_jobs

MONDAY_EVENING = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)  # 20.00 WITA
TUESDAY_OPENING = datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)  # 08.00 WITA


def _clock(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(services, "utcnow", lambda: moment)


def _book_scheduled(app, monkeypatch, moment: datetime) -> int:
    _clock(monkeypatch, moment)
    with app.app_context():
        return jobs.book_scheduled_deliveries()


def _messages(app, delivery_id: int) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(sa.select(Notification.event, Notification.body).where(
            Notification.delivery_id == delivery_id).execution_options(all_tenants=True)).all()
    return dict(rows)


def _ours(delivery_id: int) -> list[dict]:
    return [b for b in sandbox.bookings("gosend") if b["merchant_order_id"] == f"ANTAR-{delivery_id}"]


def test_asked_at_eight_in_the_evening_it_waits_then_is_booked_at_the_opening_and_the_citizen_told(app, monkeypatch):
    _clock(monkeypatch, MONDAY_EVENING)
    delivery_id = request_delivery(app, now=MONDAY_EVENING, at_next_opening=True)
    delivery = load(app, delivery_id)
    assert delivery.status == "quoted" and delivery.is_scheduled
    assert delivery.book_at == TUESDAY_OPENING
    assert [d.status for d in delivery.documents] == ["delivery_requested"]
    assert "besok, Selasa 1 Desember, pukul 08.00 WITA" in delivery.documents[0].events[-1].note
    run_jobs(app)
    assert _book_scheduled(app, monkeypatch, datetime(2026, 11, 30, 23, 59, tzinfo=timezone.utc)) == 0
    assert _ours(delivery_id) == [] and load(app, delivery_id).provider_ref is None  # nothing booked at night

    assert _book_scheduled(app, monkeypatch, TUESDAY_OPENING.replace(minute=2)) == 1
    delivery = load(app, delivery_id)
    assert delivery.status == "booked" and delivery.provider_ref.startswith("GK-")
    assert [b["ref"] for b in _ours(delivery_id)] == [delivery.provider_ref]
    assert "courier_booked" in _messages(app, delivery_id)
    assert _book_scheduled(app, monkeypatch, TUESDAY_OPENING.replace(minute=4)) == 0  # never twice
    assert len(_ours(delivery_id)) == 1


def test_in_hours_the_same_request_is_booked_at_once(app, monkeypatch):
    delivery_id = request_delivery(app, at_next_opening=True)  # WORKING_HOUR
    assert not load(app, delivery_id).is_scheduled and load(app, delivery_id).book_at is None
    run_jobs(app)
    assert load(app, delivery_id).provider_ref


def test_the_lost_booking_poller_leaves_scheduled_trips_to_the_opening(app, monkeypatch):
    from datetime import timedelta

    _clock(monkeypatch, MONDAY_EVENING)
    delivery_id = request_delivery(app, now=MONDAY_EVENING, at_next_opening=True)
    monkeypatch.setattr(jobs, "UNBOOKED_AFTER", timedelta(0))
    with app.app_context():
        jobs.poll_silent_deliveries()
    run_jobs(app)
    assert _ours(delivery_id) == [] and load(app, delivery_id).is_scheduled


def test_cuti_bersama_and_christmas_are_skipped(app, monkeypatch):
    evening = datetime(2026, 12, 23, 12, 0, tzinfo=timezone.utc)  # Wednesday 23 Dec, 20.00 WITA
    _clock(monkeypatch, evening)
    delivery_id = request_delivery(app, now=evening, at_next_opening=True)
    assert load(app, delivery_id).book_at == datetime(2026, 12, 26, 0, 0, tzinfo=timezone.utc)  # Saturday 08.00
    assert _book_scheduled(app, monkeypatch, datetime(2026, 12, 24, 0, 5, tzinfo=timezone.utc)) == 0
    assert _book_scheduled(app, monkeypatch, datetime(2026, 12, 26, 0, 5, tzinfo=timezone.utc)) == 1


def test_a_city_closure_set_after_the_request_holds_the_booking_to_the_day_after(app, monkeypatch):
    _clock(monkeypatch, MONDAY_EVENING)
    delivery_id = request_delivery(app, now=MONDAY_EVENING, at_next_opening=True)
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        calendar.add_closure(date(2026, 12, 1), "Rapat kerja", None, date(2026, 11, 30))
        db.session.commit()
    assert _book_scheduled(app, monkeypatch, TUESDAY_OPENING.replace(minute=5)) == 0
    assert load(app, delivery_id).is_scheduled and _ours(delivery_id) == []
    assert _book_scheduled(app, monkeypatch, datetime(2026, 12, 2, 0, 5, tzinfo=timezone.utc)) == 1


def test_a_closure_known_in_advance_moves_the_opening_offered(app, monkeypatch):
    with app.app_context(), tenant_bound(get_tenant("tangerang-selatan")):
        calendar.add_closure(date(2026, 12, 1), "Pindah gedung", None, date(2026, 11, 30))
        db.session.commit()
        evening = datetime(2026, 11, 30, 13, 0, tzinfo=timezone.utc)  # 20.00 WIB
        opening = services.next_opening(evening)
        assert opening == datetime(2026, 12, 2, 1, 0, tzinfo=timezone.utc)
        assert services.opening_words(opening, evening) == "Rabu 2 Desember, pukul 08.00 WIB"


def test_a_price_well_above_the_estimate_is_not_booked_and_the_citizen_is_asked_again(app, monkeypatch):
    _clock(monkeypatch, MONDAY_EVENING)
    delivery_id = request_delivery(app, now=MONDAY_EVENING, at_next_opening=True)
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        delivery = db.session.get(Delivery, delivery_id)
        real_price = delivery.fee
        delivery.fee = 5000  # the evening's estimate; the courier asks more in the morning
        db.session.commit()
    assert real_price > services.price_limit(5000)
    assert _book_scheduled(app, monkeypatch, TUESDAY_OPENING.replace(minute=2)) == 0
    delivery = load(app, delivery_id)
    assert delivery.status == "failed" and _ours(delivery_id) == []
    assert [d.status for d in delivery.documents] == ["ready"]
    told = _messages(app, delivery_id)["delivery_failed"]
    assert "Rp5.000" in told and f"Rp{real_price:,}".replace(",", ".") in told
    assert "Rp5.000" in delivery.office_alert


def test_a_price_within_the_tolerance_is_booked_at_the_new_price(app, monkeypatch):
    _clock(monkeypatch, MONDAY_EVENING)
    delivery_id = request_delivery(app, now=MONDAY_EVENING, at_next_opening=True)
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        delivery = db.session.get(Delivery, delivery_id)
        real_price = delivery.fee
        delivery.fee = real_price - 1000
        db.session.commit()
    assert _book_scheduled(app, monkeypatch, TUESDAY_OPENING.replace(minute=2)) == 1
    delivery = load(app, delivery_id)
    assert delivery.status == "booked" and delivery.fee == real_price


def test_citizen_link_cities_are_not_offered_a_booking_they_make_themselves(app, monkeypatch):
    from saas.couriers.services import DeliveryRefused

    before = deliveries_count(app)
    with pytest.raises(DeliveryRefused, match="08.00–15.00 WITA"):
        from saas.documents.lifecycle import Actor
        from saas.documents.services import get_document
        from tests.factories import add_document

        number = add_document(app, slug="bontang", status="ready")
        with app.app_context(), tenant_bound(get_tenant("bontang")):
            services.request_delivery([get_document(number)], services.Destination(
                "Rahmat", "+6281234560004", "Jl. Brigjen Katamso No. 8", "64.74.01", "Api-Api", 0.1330, 117.4990),
                "gosend", services.Quote(15000, 2.0, "instant"), Actor.citizen(), now=MONDAY_EVENING,
                at_next_opening=True)
    assert deliveries_count(app) == before


def test_trips_waiting_for_an_opening_count_against_that_days_quota(app, monkeypatch):
    from saas.couriers.services import DeliveryRefused

    with app.app_context():
        tenant = get_tenant("balikpapan")
        tenant.courier_settings = {**tenant.courier_settings, "daily_quota": 1}
        db.session.commit()
    _clock(monkeypatch, MONDAY_EVENING)
    request_delivery(app, now=MONDAY_EVENING, at_next_opening=True)
    with pytest.raises(DeliveryRefused, match="jam buka berikutnya sudah penuh"):
        request_delivery(app, now=MONDAY_EVENING, at_next_opening=True)
    tuesday_morning = TUESDAY_OPENING.replace(hour=1)  # 09.00 WITA
    with pytest.raises(DeliveryRefused, match="hari ini sudah habis"):
        request_delivery(app, now=tuesday_morning)
    assert deliveries_count(app) == 1
