"""Citizens racing for the last places of a slot, truly at the same moment (PostgreSQL).

Each citizen books from their own thread with their own app context, database session and
connection; a barrier lets them all pass the "is the slot offered" check before any of them
takes a place, so only the atomic ``booked < capacity`` UPDATE stands between them and an
overfilled office. (SQLite serialises writers and would not race; the PostgreSQL pass runs it.)
"""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from saas.documents.models import Document
from saas.extensions import db
from saas.portal import services
from saas.portal.models import PickupBooking, PickupSlot
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.factories import add_document

RACERS = 6
PLACES_LEFT = 2


def test_citizens_racing_for_the_last_places_never_overfill_a_slot(app, database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers: the race runs on the PostgreSQL pass")
    numbers = [add_document(app, slug="bontang", registration_no=f"RACE-{n}", status="ready") for n in range(RACERS)]
    with app.app_context(), tenant_bound(get_tenant("bontang")):
        tenant = get_tenant("bontang")
        capacity = int(tenant.pickup_settings["capacity_per_slot"])
        slot = services.available_slots()[0][1][0]
        db.session.add(PickupSlot(starts_at=slot.starts_at, booked=capacity - PLACES_LEFT))
        db.session.commit()
        ids = db.session.scalars(sa.select(Document.id).where(Document.registration_no.in_(numbers))).all()

    everyone_checked = threading.Barrier(RACERS, timeout=30)
    original_take_place = services._take_place

    def take_place_together(starts_at):
        everyone_checked.wait()  # all of them saw the slot offered; now they race for the places
        return original_take_place(starts_at)

    monkeypatch.setattr(services, "_take_place", take_place_together)
    outcomes: dict[int, str] = {}

    def citizen(document_id: int) -> None:
        with app.app_context(), tenant_bound(get_tenant("bontang")):
            document = db.session.get(Document, document_id)
            try:
                services.book_slot(document, slot.starts_at)
                db.session.commit()
                outcomes[document_id] = "booked"
            except services.PortalRefused as refused:
                db.session.rollback()
                outcomes[document_id] = str(refused.message)

    threads = [threading.Thread(target=citizen, args=(document_id,)) for document_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(outcomes.values()).count("booked") == PLACES_LEFT, outcomes
    refusals = [why for why in outcomes.values() if why != "booked"]
    assert len(refusals) == RACERS - PLACES_LEFT
    assert all("diambil" in why or "taken" in why for why in refusals), refusals
    with app.app_context(), tenant_bound(get_tenant("bontang")):
        assert db.session.scalar(sa.select(PickupSlot.booked).where(PickupSlot.starts_at == slot.starts_at)) == capacity
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PickupBooking).where(
            PickupBooking.starts_at == slot.starts_at, PickupBooking.status == "booked")) == PLACES_LEFT
