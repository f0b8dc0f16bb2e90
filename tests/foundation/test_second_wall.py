"""The second wall between cities: row-level security on PostgreSQL, same-city foreign keys on both.

The ORM filter (``test_isolation.py``) is the first wall; these tests go around it on purpose —
raw ``text()``, Core statements on the table, the filter switched off — and show that
PostgreSQL still keeps each city to its own rows, and that each wall holds on its own.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from saas.accounts.models import StaffAccessLog
from saas.couriers.models import Delivery
from saas.documents.models import Document
from saas.documents.services import prepared_row
from saas.extensions import db
from saas.models import staged_rows, utcnow
from saas.tenancy import scope
from saas.tenancy.scope import (
    TenantNotBound,
    TenantScoped,
    all_tenants,
    bind_tenant,
    set_city_setting,
    tenant_bound,
)
from saas.tenancy.services import get_tenant
from tests.conftest import make_user, owner_engine
from tests.factories import add_document, document_values

DOCUMENTS = sa.text("SELECT registration_no FROM document ORDER BY registration_no")


@pytest.fixture
def postgres(app):
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect != "postgresql":
        pytest.skip("row-level security is PostgreSQL's; SQLite keeps the ORM filter only")


@pytest.fixture
def two_cities(app):
    """Two documents in Balikpapan (A), one in Samarinda (B)."""
    return {"balikpapan": sorted([add_document(app, "balikpapan", registration_no="A-1"),
                                  add_document(app, "balikpapan", registration_no="A-2")]),
            "samarinda": [add_document(app, "samarinda", registration_no="B-1")]}


def test_every_tenant_owned_table_has_the_policy_and_the_app_works_as_a_role_it_binds(app, postgres):
    tenant_tables = {m.__tablename__ for m in _tenant_scoped_models()}
    with app.app_context():
        rows = db.session.execute(sa.text(
            "SELECT c.relname, c.relrowsecurity, count(p.policyname) FROM pg_class c"
            " LEFT JOIN pg_policies p ON p.tablename = c.relname AND p.schemaname = current_schema()"
            " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"
            " GROUP BY c.relname, c.relrowsecurity")).all()
        guarded = {name for name, secured, policies in rows if secured and policies}
        assert tenant_tables - guarded == set(), "tenant-owned tables without row-level security"
        who = db.session.execute(sa.text(
            "SELECT current_user, r.rolsuper, r.rolbypassrls,"
            " (SELECT count(*) FROM pg_tables WHERE tableowner = current_user)"
            " FROM pg_roles r WHERE r.rolname = current_user")).one()
    assert who == ("antar_app", False, False, 0)


def _tenant_scoped_models():
    found, todo = [], list(TenantScoped.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if getattr(cls, "__tablename__", None):
            found.append(cls)
    return found


def test_a_raw_select_and_a_core_update_see_and_touch_only_the_bound_city(app, postgres, two_cities):
    with app.app_context():
        bind_tenant(get_tenant("balikpapan"))
        assert db.session.scalars(DOCUMENTS).all() == ["A-1", "A-2"]
        table = Document.__table__  # Core: no ORM entity, so no ORM filter
        changed = db.session.execute(sa.update(table).values(owner_name="Touched")).rowcount
        db.session.commit()
        assert changed == 2
        with owner_engine().connect() as owner:
            names = dict(owner.execute(sa.text("SELECT registration_no, owner_name FROM document")).all())
    assert names["B-1"] != "Touched" and names["A-1"] == names["A-2"] == "Touched"


def test_an_orm_bulk_update_cannot_move_a_row_to_another_city(app, postgres):
    user_id = make_user(app, "balikpapan", "operator")
    with app.app_context():
        samarinda = get_tenant("samarinda").id
        with tenant_bound(get_tenant("balikpapan")):
            db.session.add(StaffAccessLog(user_id=user_id, action="sign_in", subject="mine"))
            db.session.commit()
            with pytest.raises(DBAPIError, match="row-level security"):
                db.session.execute(sa.update(StaffAccessLog).values(tenant_id=samarinda))
            db.session.rollback()
            assert db.session.scalar(sa.select(sa.func.count(StaffAccessLog.id))) == 1


def test_with_no_city_bound_a_plain_count_sees_nothing(app, postgres, two_cities):
    with app.app_context():
        with pytest.raises(TenantNotBound):  # the ORM refuses
            db.session.scalar(sa.select(sa.func.count(Document.id)))
        db.session.rollback()
        # Around the ORM, the database shows nothing at all.
        assert db.session.scalar(sa.text("SELECT count(*) FROM document")) == 0
        with all_tenants():  # the explicit path across cities
            assert db.session.scalar(sa.text("SELECT count(*) FROM document")) == 3
        assert db.session.scalar(sa.text("SELECT count(*) FROM document")) == 0


def test_the_city_does_not_outlive_its_transaction_on_a_pooled_connection(app, postgres, two_cities):
    with app.app_context():
        with db.engine.connect() as connection:  # one pooled connection, two requests in turn
            first = Session(bind=connection)
            bind_tenant(get_tenant("samarinda"), first)
            assert first.scalars(DOCUMENTS).all() == ["B-1"]
            first.commit()
            first.close()

            second = Session(bind=connection)  # the next request: nothing bound yet
            assert second.scalar(sa.text("SELECT count(*) FROM document")) == 0
            assert second.scalar(sa.text("SELECT current_setting('antar.tenant_id', true)")) in ("", None)
            second.close()

            with connection.begin():  # a city set by hand on the connection ends with its transaction
                set_city_setting(connection, get_tenant("balikpapan").id)
                assert connection.scalar(sa.text("SELECT count(*) FROM document")) == 2
            assert connection.scalar(sa.text("SELECT count(*) FROM document")) == 0
            connection.rollback()


def test_a_city_bound_in_the_middle_of_a_transaction_is_told_to_the_database(app, postgres, two_cities):
    with app.app_context():
        tenant = get_tenant("samarinda")  # this read began the transaction with no city bound
        assert db.session().in_transaction()
        with tenant_bound(tenant):
            assert db.session.scalars(DOCUMENTS).all() == ["B-1"]
        assert db.session.scalar(sa.text("SELECT count(*) FROM document")) == 0


def test_row_level_security_alone_stops_a_leak_when_the_orm_filter_is_off(app, postgres, two_cities):
    event.remove(Session, "do_orm_execute", scope._narrow_to_bound_tenant)
    try:
        with app.app_context():
            bind_tenant(get_tenant("samarinda"))
            found = db.session.scalars(sa.select(Document.registration_no).order_by(Document.id)).all()
    finally:
        event.listen(Session, "do_orm_execute", scope._narrow_to_bound_tenant)
    assert found == ["B-1"]


def test_the_orm_filter_alone_stops_a_leak_when_row_level_security_is_off(app, postgres, two_cities):
    with app.app_context(), owner_engine().connect() as owner:  # the owner: the policies do not bind it
        tenant = get_tenant("samarinda")
        session = Session(bind=owner)
        assert session.scalar(sa.text("SELECT count(*) FROM document")) == 3
        bind_tenant(tenant, session)
        found = session.scalars(sa.select(Document.registration_no)).all()
        session.close()
    assert found == ["B-1"]


def test_a_row_cannot_point_into_another_city(app, two_cities):
    """Same-city foreign keys, on both databases: an A document cannot name a B delivery."""
    with app.app_context():
        with tenant_bound(get_tenant("samarinda")):
            theirs = Delivery(provider="manual", mode="office_booking", pickup_code="B-TRIP", receipt_pin="123456")
            db.session.add(theirs)
            db.session.commit()
            theirs_id = theirs.id
        with tenant_bound(get_tenant("balikpapan")):
            document = db.session.scalar(sa.select(Document).where(Document.registration_no == "A-1"))
            document.delivery_id = theirs_id
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()
        with all_tenants():  # not even across cities, where the ORM and the policies allow it
            with pytest.raises(IntegrityError):
                db.session.execute(sa.update(Document.__table__)
                                   .where(Document.__table__.c.registration_no == "A-1").values(delivery_id=theirs_id))
                db.session.commit()
            db.session.rollback()


def test_the_name_search_function_crosses_the_wall_only_into_the_bound_city(app, postgres):
    """``antar_documents_named`` runs as the owner (so an index may serve it) and applies the city
    itself: the bound city's matches only, and nothing at all when no city is bound."""
    add_document(app, "balikpapan", name="Siti Aminah")
    add_document(app, "samarinda", name="Siti Rahayu")
    named = sa.text("SELECT antar_documents_named('%siti%', 500)")
    with app.app_context():
        balikpapan, samarinda = get_tenant("balikpapan"), get_tenant("samarinda")
        with tenant_bound(balikpapan):
            found = db.session.scalar(named)
            assert [d.owner_name for d in db.session.scalars(sa.select(Document).where(Document.id.in_(found)))] \
                == ["Siti Aminah"]
        db.session.rollback()
        with db.engine.connect() as conn:  # no city told to PostgreSQL
            assert conn.execute(named).scalar() == []
        with all_tenants():
            ids = {d.tenant_id: d.id for d in db.session.scalars(sa.select(Document))}
        with tenant_bound(samarinda):
            assert db.session.scalar(named) == [ids[samarinda.id]]


def test_rows_copied_through_a_temporary_table_are_held_to_the_bound_city(app, postgres):
    """The SIAK import's bulk path: ``COPY`` into a temporary table (which has no policy), then one
    ``INSERT … SELECT`` into the table, which the policy checks row by row."""
    with app.app_context():
        samarinda, balikpapan = get_tenant("samarinda").id, get_tenant("balikpapan")
        mine = balikpapan.id
        with tenant_bound(balikpapan):
            row = prepared_row(document_values(registration_no="BULK-1"))
            shared = {"status": "received", "created_at": utcnow(), "updated_at": utcnow()}
            with pytest.raises(DBAPIError, match="row-level security"):
                with staged_rows(Document.__table__, [row], {**shared, "tenant_id": samarinda}):
                    pass
            db.session.rollback()
            with staged_rows(Document.__table__, [row], {**shared, "tenant_id": mine}) as staging:
                copied = db.session.execute(sa.select(staging.c.id, staging.c.registration_no)).all()
            db.session.commit()
            written = db.session.execute(sa.select(Document.id, Document.registration_no)).all()
        with owner_engine().connect() as owner:
            cities = owner.execute(sa.text("SELECT tenant_id FROM document")).scalars().all()
    assert written == copied and copied[0][1] == "BULK-1" and cities == [mine]
