"""Deliveries through the Go-Send and Grab sandboxes, over real HTTP, callbacks and all."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from saas.couriers.models import CourierCallback, Delivery
from saas.extensions import db
from saas.sandboxes import couriers as sandbox
from tests.conftest import submit, wait_for
from tests.couriers.conftest import load, request_delivery, run_jobs


def _booked(app, delivery_id, slug="balikpapan"):
    run_jobs(app)
    delivery = load(app, delivery_id, slug)
    assert delivery.provider_ref, "the booking job did not book"
    return delivery


def _step_until(app, provider, delivery_id, status, slug="balikpapan"):
    ref = load(app, delivery_id, slug).provider_ref
    sandbox.advance(provider, ref)
    return wait_for(lambda: (d := load(app, delivery_id, slug)).status == status and d,
                    message=f"delivery {delivery_id} to reach {status}")


def _hand_over(app, staff, delivery, slug="balikpapan"):
    client = staff("operator", slug=slug)
    response = submit(client, f"/{slug}/office/handover/{delivery.pickup_code}",
                      {"seal_number": "SEAL-0042", "driver_name": delivery.driver_name or "Pak Driver",
                       "driver_plate": delivery.driver_plate or "KT 1234 AB"})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_gosend_quote_book_assign_pickup_deliver(app, staff):
    delivery_id = request_delivery(app, "balikpapan", "gosend", documents=2)
    delivery = load(app, delivery_id)
    assert delivery.status == "quoted" and delivery.fee >= 15000 and len(delivery.documents) == 2
    assert [d.status for d in delivery.documents] == ["delivery_requested"] * 2
    delivery = _booked(app, delivery_id)
    assert delivery.provider_ref.startswith("GK-") and delivery.status == "booked"
    booking = sandbox.booking("gosend", delivery.provider_ref)
    assert booking["merchant_order_id"] == f"ANTAR-{delivery_id}"
    delivery = _step_until(app, "gosend", delivery_id, "driver_assigned")
    assert delivery.driver_name and delivery.driver_plate
    _hand_over(app, staff, delivery)
    delivery = load(app, delivery_id)
    assert delivery.status == "picked_up" and delivery.seal_number == "SEAL-0042"
    assert [d.status for d in delivery.documents] == ["with_courier"] * 2
    sandbox.run("gosend", delivery.provider_ref)
    delivery = wait_for(lambda: (d := load(app, delivery_id)).status == "delivered" and d, message="delivered")
    assert delivery.receiver_name
    assert [d.status for d in delivery.documents] == ["delivered"] * 2
    statuses = [e.status for e in delivery.events]
    assert statuses == ["booked", "driver_assigned", "picked_up", "delivered"]
    sandbox.wait_for_callbacks(10)
    with app.app_context():
        stored = set(db.session.scalars(sa.select(CourierCallback.event_key).execution_options(all_tenants=True)))
    sent = {c["body"]["event_id"] for c in sandbox.callbacks("gosend") if c["http_status"] == 200}
    assert stored == sent  # every accepted callback stored, once


def test_grab_quote_book_assign_pickup_deliver_with_proof(app, staff):
    delivery_id = request_delivery(app, "tangerang-selatan", "grab")
    delivery = _booked(app, delivery_id, "tangerang-selatan")
    assert delivery.provider_ref.startswith("IN-")
    delivery = _step_until(app, "grab", delivery_id, "driver_assigned", "tangerang-selatan")
    _hand_over(app, staff, delivery, "tangerang-selatan")
    sandbox.run("grab", delivery.provider_ref)
    delivery = wait_for(lambda: (d := load(app, delivery_id, "tangerang-selatan")).status == "delivered" and d,
                        message="delivered")
    assert delivery.proof_photo_url
    assert [d.status for d in delivery.documents] == ["delivered"]


def test_no_driver_is_rebooked_up_to_the_limit_then_the_office_is_told(app):
    sandbox.set_scenario("gosend", "no_driver")
    delivery_id = request_delivery(app, "balikpapan", "gosend")  # Balikpapan rebooks twice
    seen = [delivery_id]
    for _ in range(3):
        _booked(app, seen[-1])
        _step_until(app, "gosend", seen[-1], "failed")
        with app.app_context():
            newer = db.session.scalar(sa.select(Delivery.id).where(Delivery.previous_delivery_id == seen[-1])
                                      .execution_options(all_tenants=True))
        if newer is None:
            break
        seen.append(newer)
    assert len(seen) == 3  # the first booking and two rebookings
    last = load(app, seen[-1])
    assert last.status == "failed" and last.office_alert
    assert [d.status for d in last.documents] == ["ready"]


def test_rejected_after_pickup_leaves_the_envelope_with_the_courier_and_alerts_the_office(app, staff):
    sandbox.set_scenario("gosend", "rejected")
    delivery_id = request_delivery(app, "balikpapan", "gosend")
    delivery = _booked(app, delivery_id)
    delivery = _step_until(app, "gosend", delivery_id, "driver_assigned")
    _hand_over(app, staff, delivery)
    sandbox.run("gosend", delivery.provider_ref)
    delivery = wait_for(lambda: (d := load(app, delivery_id)).status == "failed" and d, message="failed")
    assert [d.status for d in delivery.documents] == ["with_courier"]
    assert "loket pengembalian" in delivery.office_alert


def test_grab_returned_puts_the_documents_back_at_the_returns_desk(app, staff):
    sandbox.set_scenario("grab", "returned")
    delivery_id = request_delivery(app, "tangerang-selatan", "grab")
    delivery = _booked(app, delivery_id, "tangerang-selatan")
    delivery = _step_until(app, "grab", delivery_id, "driver_assigned", "tangerang-selatan")
    _hand_over(app, staff, delivery, "tangerang-selatan")
    sandbox.run("grab", delivery.provider_ref)
    delivery = wait_for(lambda: (d := load(app, delivery_id, "tangerang-selatan")).status == "returned" and d,
                        message="returned")
    assert [d.status for d in delivery.documents] == ["returned"]
    client = staff("operator", slug="tangerang-selatan")
    assert delivery.documents[0].registration_no in client.get("/tangerang-selatan/office/returns").get_data(as_text=True)


def test_cancel_before_pickup_tells_the_courier_and_documents_wait_again(app, staff):
    delivery_id = request_delivery(app, "balikpapan", "gosend")
    delivery = _booked(app, delivery_id)
    client = staff("operator")
    response = submit(client, f"/balikpapan/office/deliveries/{delivery_id}", {"action": "cancel",
                      "reason": "Warga memilih ambil sendiri"})
    assert response.status_code == 302
    delivery = wait_for(lambda: (d := load(app, delivery_id)).status == "cancelled" and d, message="cancelled")
    assert sandbox.booking("gosend", delivery.provider_ref)["status"] == "cancelled"
    assert [d.status for d in delivery.documents] == ["ready"]


def test_staff_taking_a_document_off_its_trip_cancels_the_booking_at_the_courier(app, staff):
    delivery_id = request_delivery(app, "balikpapan", "gosend")
    delivery = _booked(app, delivery_id)
    number = delivery.documents[0].registration_no
    client = staff("operator")
    response = submit(client, f"/balikpapan/office/documents/{number}", {"to": "ready", "note": "Warga datang sendiri"},
                      action=f"/balikpapan/office/documents/{number}/transition")
    assert response.status_code == 302
    delivery = load(app, delivery_id)
    assert delivery.status == "cancelled" and delivery.documents[0].status == "ready"
    assert sandbox.booking("gosend", delivery.provider_ref)["status"] == "cancelled"


def test_a_booking_job_lost_with_redis_is_booked_again_by_the_poller(app, monkeypatch):
    from datetime import timedelta

    from saas.couriers import jobs
    from saas.jobs import runtime

    delivery_id = request_delivery(app, "balikpapan", "gosend")
    with app.app_context():
        runtime(app).queue("couriers").empty()  # the booking job is lost with Redis
    monkeypatch.setattr(jobs, "UNBOOKED_AFTER", timedelta(0))
    with app.app_context():
        jobs.poll_silent_deliveries()
    delivery = _booked(app, delivery_id)
    assert delivery.status == "booked"


def _courier_took_it_silently(delivery):
    """The driver picked the envelope up but the courier's callback was lost: Go-Send now
    refuses to cancel while Antar still thinks the trip is only booked."""
    from saas.sandboxes.couriers import webhooks

    lost = []
    original, webhooks.deliver = webhooks.deliver, lambda *args: lost.append(args)
    try:
        sandbox.set_status("gosend", delivery.provider_ref, "picked")
    finally:
        webhooks.deliver = original
    assert lost, "the sandbox would have called back"


def test_a_courier_refusing_to_let_go_refuses_bulk_mark_ready_and_changes_nothing(app, staff):
    delivery_id = request_delivery(app, "balikpapan", "gosend")
    delivery = _booked(app, delivery_id)
    _courier_took_it_silently(delivery)
    document = delivery.documents[0]
    client = staff("operator")
    response = submit(client, "/balikpapan/office/?status=delivery_requested", {"document_id": str(document.id)},
                      action="/balikpapan/office/documents/mark-ready", follow_redirects=True)
    assert "menolak pembatalan" in response.get_data(as_text=True) or \
        "refused the cancellation" in response.get_data(as_text=True)
    delivery = load(app, delivery_id)
    assert delivery.status == "booked"
    assert [d.status for d in delivery.documents] == ["delivery_requested"]
    assert [e.to_status for e in delivery.documents[0].events][-1] == "delivery_requested"


def test_a_courier_refusing_to_let_go_refuses_the_document_page_move(app, staff):
    delivery_id = request_delivery(app, "balikpapan", "gosend")
    delivery = _booked(app, delivery_id)
    _courier_took_it_silently(delivery)
    number = delivery.documents[0].registration_no
    client = staff("operator")
    response = submit(client, f"/balikpapan/office/documents/{number}", {"to": "ready", "note": "Warga datang"},
                      action=f"/balikpapan/office/documents/{number}/transition", follow_redirects=True)
    assert response.status_code == 200
    delivery = load(app, delivery_id)
    assert delivery.status == "booked" and [d.status for d in delivery.documents] == ["delivery_requested"]


def test_a_callback_racing_another_writer_is_applied_again_not_answered_with_an_error(app):
    """Leaving the city's block after a failed flush must not hide the conflict from the retry."""
    from sqlalchemy.orm.exc import StaleDataError

    from saas.tenancy.scope import set_city_setting, tenant_bound
    from saas.tenancy.services import get_tenant

    delivery_id = request_delivery(app, "balikpapan", "gosend")
    with app.app_context():
        with pytest.raises(StaleDataError):
            with tenant_bound(get_tenant("balikpapan")):
                delivery = db.session.get(Delivery, delivery_id)
                with db.engine.begin() as other_writer:
                    set_city_setting(other_writer, delivery.tenant_id)  # PostgreSQL's wall: say the city
                    other_writer.execute(sa.update(Delivery.__table__).where(Delivery.__table__.c.id == delivery_id)
                                         .values(version=Delivery.__table__.c.version + 1))
                delivery.driver_name = "Pak Budi"
                db.session.flush()
        db.session.rollback()
