"""Every move in the graph is allowed and recorded; every other move is refused."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from saas.documents.lifecycle import TRANSITIONS, Actor, TransitionRefused, transition
from saas.documents.models import STATUSES, AppendOnlyViolation, DocumentEvent
from saas.documents.services import get_document
from saas.extensions import db
from saas.tenancy.scope import bind_tenant
from saas.tenancy.services import get_tenant
from tests.factories import add_document

ALLOWED = [(a, b) for a, targets in TRANSITIONS.items() for b in targets]
REFUSED = [(a, b) for a in STATUSES for b in STATUSES if b not in TRANSITIONS[a]]


def _load(app, number):
    bind_tenant(get_tenant("balikpapan"))
    return get_document(number)


@pytest.mark.parametrize("start, to", ALLOWED)
def test_allowed_move_changes_status_and_writes_one_event(app, start, to):
    number = add_document(app, status=start)
    with app.app_context():
        document = _load(app, number)
        before = len(document.events)
        transition(document, to, Actor.citizen(), note="by test")
        db.session.commit()
        document = _load(app, number)
        assert document.status == to
        assert len(document.events) == before + 1
        last = document.events[-1]
        assert (last.from_status, last.to_status, last.actor_kind, last.note) == (start, to, "citizen", "by test")


@pytest.mark.parametrize("start, to", REFUSED)
def test_refused_move_changes_nothing_and_says_why(app, start, to):
    number = add_document(app, status=start)
    with app.app_context():
        document = _load(app, number)
        before = len(document.events)
        with pytest.raises(TransitionRefused) as refused:
            transition(document, to, Actor.system())
        assert str(refused.value.message)
        db.session.rollback()
        document = _load(app, number)
        assert document.status == start and len(document.events) == before


def test_refusals_explain_in_indonesian(app):
    number = add_document(app, status="with_courier")
    with app.test_request_context():
        document = _load(app, number)
        with pytest.raises(TransitionRefused) as refused:
            transition(document, "cancelled", Actor.system())
        assert "kurir" in str(refused.value.message)
        with pytest.raises(TransitionRefused) as refused:
            transition(document, "collected", Actor.system())
        assert str(refused.value.message) == "Dokumen yang berstatus 'Dibawa kurir' tidak dapat menjadi 'Sudah diambil'."


def test_ready_and_closing_times_are_kept(app):
    number = add_document(app, status="ready")
    with app.app_context():
        document = _load(app, number)
        ready_at = document.ready_at
        assert ready_at is not None and document.closed_at is None
        transition(document, "collected", Actor.system())
        db.session.commit()
        document = _load(app, number)
        assert document.ready_at == ready_at and document.closed_at is not None


def test_a_rolled_back_move_leaves_no_event(app):
    number = add_document(app, status="received")
    with app.app_context():
        document = _load(app, number)
        transition(document, "ready", Actor.system())
        db.session.rollback()
        document = _load(app, number)
        assert document.status == "received" and [e.to_status for e in document.events] == ["received"]


def test_events_are_append_only(app, database_url):
    number = add_document(app, status="ready")
    with app.app_context():
        document = _load(app, number)
        document.events[-1].note = "rewritten history"
        with pytest.raises(AppendOnlyViolation):
            db.session.flush()
        db.session.rollback()
        document = _load(app, number)
        db.session.delete(document.events[0])
        with pytest.raises(AppendOnlyViolation):
            db.session.flush()
        db.session.rollback()
        if db.engine.dialect.name == "postgresql":
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                db.session.execute(sa.text("UPDATE document_event SET note = 'x'"))
            db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DocumentEvent)
                                 .execution_options(all_tenants=True)) == 2
