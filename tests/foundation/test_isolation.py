"""Isolation is structural: a query without a city filter still sees one city only."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from saas.accounts.models import StaffAccessLog, User
from saas.extensions import db
from saas.tenancy.scope import (
    TenantMismatch,
    TenantNotBound,
    all_tenants,
    bind_tenant,
    tenant_bound,
    unbind_tenant,
)
from saas.tenancy.services import get_tenant
from tests.conftest import make_user


@pytest.fixture
def two_cities(app):
    """A staff member and two access-log rows in Balikpapan, one row in Samarinda."""
    ids = {}
    for slug in ("balikpapan", "samarinda"):
        ids[slug] = make_user(app, slug, "operator")
    with app.app_context():
        for slug, count in (("balikpapan", 2), ("samarinda", 1)):
            tenant = get_tenant(slug)
            with tenant_bound(tenant):
                for n in range(count):
                    db.session.add(StaffAccessLog(user_id=ids[slug], action="sign_in", subject=f"{slug}-{n}"))
                db.session.commit()
    return ids


def test_a_query_without_a_tenant_filter_returns_only_the_bound_citys_rows(app, two_cities):
    with app.app_context():
        bind_tenant(get_tenant("samarinda"))
        rows = db.session.scalars(sa.select(StaffAccessLog)).all()
        assert [r.subject for r in rows] == ["samarinda-0"]
        assert db.session.scalar(sa.select(sa.func.count(StaffAccessLog.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffAccessLog)) == 1
        joined = db.session.execute(
            sa.select(User.email, StaffAccessLog.subject).join(StaffAccessLog, StaffAccessLog.user_id == User.id)
        ).all()
        assert [subject for _, subject in joined] == ["samarinda-0"]
        subquery = sa.select(StaffAccessLog.user_id).scalar_subquery()
        assert len(db.session.scalars(sa.select(User).where(User.id.in_(subquery))).all()) == 1


def test_get_by_primary_key_of_another_city_finds_nothing(app, two_cities):
    with app.app_context():
        with all_tenants():
            foreign_id = db.session.scalar(
                sa.select(StaffAccessLog.id).where(StaffAccessLog.subject == "balikpapan-0"))
        db.session.expunge_all()
        bind_tenant(get_tenant("samarinda"))
        assert db.session.get(StaffAccessLog, foreign_id) is None


def test_bulk_update_and_delete_touch_only_the_bound_city(app, two_cities):
    with app.app_context():
        bind_tenant(get_tenant("balikpapan"))
        db.session.execute(sa.update(StaffAccessLog).values(action="checked"))
        db.session.execute(sa.delete(StaffAccessLog).where(StaffAccessLog.subject == "balikpapan-1"))
        db.session.commit()
        unbind_tenant()
        with all_tenants():
            rows = {r.subject: r.action for r in db.session.scalars(sa.select(StaffAccessLog))}
    assert rows == {"balikpapan-0": "checked", "samarinda-0": "sign_in"}


def test_reading_tenant_rows_with_no_city_bound_is_refused(app, two_cities):
    with app.app_context():
        with pytest.raises(TenantNotBound):
            db.session.scalars(sa.select(StaffAccessLog)).all()


def test_cross_tenant_reads_need_the_explicit_opt_out(app, two_cities):
    with app.app_context():
        with all_tenants():
            assert db.session.scalar(sa.select(sa.func.count(StaffAccessLog.id))) == 3
        statement = sa.select(StaffAccessLog).execution_options(all_tenants=True)
        assert len(db.session.scalars(statement).all()) == 3
        bind_tenant(get_tenant("balikpapan"))
        assert len(db.session.scalars(sa.select(StaffAccessLog)).all()) == 2
        assert len(db.session.scalars(statement).all()) == 3


def test_new_rows_are_stamped_with_the_bound_city(app, two_cities):
    with app.app_context():
        balikpapan = get_tenant("balikpapan")
        bind_tenant(balikpapan)
        row = StaffAccessLog(user_id=two_cities["balikpapan"], action="sign_out")
        db.session.add(row)
        db.session.commit()
        assert row.tenant_id == balikpapan.id


def test_writing_another_citys_row_is_refused(app, two_cities):
    with app.app_context():
        samarinda = get_tenant("samarinda")
        bind_tenant(get_tenant("balikpapan"))
        db.session.add(StaffAccessLog(tenant_id=samarinda.id, user_id=two_cities["samarinda"], action="x"))
        with pytest.raises(TenantMismatch):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(TenantNotBound):
            unbind_tenant()
            db.session.add(StaffAccessLog(user_id=two_cities["samarinda"], action="x"))
            db.session.flush()


def test_every_tenant_owned_table_leads_its_keys_with_tenant_id(app):
    from saas.tenancy.scope import TenantScoped

    scoped = [m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped)]
    assert scoped, "no tenant-owned models"
    for model in scoped:
        table = model.__table__
        for index in table.indexes:
            if index.columns.keys() == ["id"] and not index.unique:
                continue  # finding a row by its id alone, now that the primary key leads with the city
            assert index.columns.keys()[0] == "tenant_id", (table.name, index.name)
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                assert constraint.columns.keys()[0] == "tenant_id", (table.name, constraint.name)


def test_the_bound_city_is_named_one_way_and_freeing_a_slot_place_touches_only_it(app):
    """``current_tenant`` answers from the session's binding; a slot UPDATE is narrowed by it."""
    from datetime import datetime, timezone

    from saas.portal.models import PickupSlot
    from saas.portal.services import _give_back_place
    from saas.tenancy.scope import current_tenant

    moment = datetime(2030, 1, 7, 1, 0, tzinfo=timezone.utc)
    with app.app_context():
        assert not current_tenant
        for slug in ("balikpapan", "samarinda"):
            with tenant_bound(get_tenant(slug)):
                assert current_tenant.slug == slug
                db.session.add(PickupSlot(starts_at=moment, booked=3))
                db.session.commit()
        with tenant_bound(get_tenant("balikpapan")):
            _give_back_place(moment)
            db.session.commit()
        with all_tenants():
            booked = dict(db.session.execute(sa.select(PickupSlot.tenant_id, PickupSlot.booked)
                                             .where(PickupSlot.starts_at == moment)).all())
        assert sorted(booked.values()) == [2, 3]
        assert booked[get_tenant("balikpapan").id] == 2
        with all_tenants():
            db.session.execute(sa.delete(PickupSlot).where(PickupSlot.starts_at == moment))
            db.session.commit()
