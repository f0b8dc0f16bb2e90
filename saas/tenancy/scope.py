"""Tenant isolation that does not depend on anyone remembering a filter.

The current city is bound to the database session (``session.info``); every ORM SELECT,
UPDATE and DELETE that touches a ``TenantScoped`` model is then narrowed to that city, and
every new tenant-owned row is stamped with it. A session with no city bound refuses to
read tenant-owned rows at all, unless the caller says, in so many words, that it means to
read across cities (``all_tenants()`` or ``execution_options(all_tenants=True)``): only the
console, the stats rollups and the platform's own jobs do.
"""
from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, relationship, with_loader_criteria
from werkzeug.local import LocalProxy

TENANT_KEY = "tenant_id"
TENANT_OBJECT_KEY = "tenant"
ALL_TENANTS_KEY = "all_tenants"


class TenantNotBound(RuntimeError):
    """A tenant-owned table was read or written with no city bound to the session."""


class TenantMismatch(RuntimeError):
    """A row of one city was about to be written while another city is bound."""


class TenantScoped:
    """Mixin for every model that belongs to one city: ``tenant_id`` is stamped and filtered."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(
            sa.ForeignKey("tenant.id", ondelete="RESTRICT"), nullable=False, index=False
        )

    @declared_attr
    def tenant(cls):
        return relationship("Tenant", viewonly=True)


def _session(session=None) -> Session:
    if session is not None:
        return session
    from saas.extensions import db

    return db.session()


def bind_tenant(tenant, session=None) -> None:
    """Make ``tenant`` (a Tenant or its id) the only city the session can see, and the city that
    ``current_tenant`` names, for this request or job."""
    sess = _session(session)
    if isinstance(tenant, int):
        sess.info[TENANT_KEY] = tenant
        sess.info.pop(TENANT_OBJECT_KEY, None)
    else:
        sess.info[TENANT_KEY] = tenant.id
        sess.info[TENANT_OBJECT_KEY] = tenant


def unbind_tenant(session=None) -> None:
    sess = _session(session)
    sess.info.pop(TENANT_KEY, None)
    sess.info.pop(TENANT_OBJECT_KEY, None)


@contextmanager
def tenant_bound(tenant, session=None):
    """Bind ``tenant`` for a block (jobs, CLI), restoring what was bound before."""
    sess = _session(session)
    before = (sess.info.get(TENANT_KEY), sess.info.get(TENANT_OBJECT_KEY))
    bind_tenant(tenant, sess)
    try:
        yield
    finally:
        for key, value in zip((TENANT_KEY, TENANT_OBJECT_KEY), before):
            if value is None:
                sess.info.pop(key, None)
            else:
                sess.info[key] = value


@contextmanager
def all_tenants(session=None):
    """The explicit opt-out: inside this block the session reads and writes across cities."""
    sess = _session(session)
    before = sess.info.get(ALL_TENANTS_KEY, False)
    sess.info[ALL_TENANTS_KEY] = True
    try:
        yield sess
    finally:
        sess.info[ALL_TENANTS_KEY] = before


def _bound_tenant():
    """The Tenant bound to this app context's session, or None when no city is bound."""
    if not has_app_context():
        return None
    sess = _session()
    tenant = sess.info.get(TENANT_OBJECT_KEY)
    if tenant is None and sess.info.get(TENANT_KEY) is not None:
        from saas.tenancy.models import Tenant

        tenant = sess.info[TENANT_OBJECT_KEY] = sess.get(Tenant, sess.info[TENANT_KEY])
    return tenant


#: The city of this request or job: the one way to name it. The city is bound once (from the
#: URL by ``city_blueprint``, or by ``tenant_bound`` in a job) to the database session, which
#: both filters every query by it and answers this proxy; nothing passes the city by hand.
current_tenant = LocalProxy(_bound_tenant)


def _touches_scoped(state) -> bool:
    return any(issubclass(m.class_, TenantScoped) for m in state.all_mappers)


@event.listens_for(Session, "do_orm_execute")
def _narrow_to_bound_tenant(state):
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get(ALL_TENANTS_KEY) or state.session.info.get(ALL_TENANTS_KEY):
        return
    tenant_id = state.session.info.get(TENANT_KEY)
    if tenant_id is None:
        # Lazy loads hang off a parent row that was itself read under a scope.
        if state.is_relationship_load or state.is_column_load:
            return
        if _touches_scoped(state):
            names = sorted(m.class_.__name__ for m in state.all_mappers)
            raise TenantNotBound(
                f"query on {', '.join(names)} with no city bound; bind one or use all_tenants()"
            )
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
        )
    )


@event.listens_for(Session, "before_flush")
def _stamp_and_check_tenant(session, flush_context, instances):
    tenant_id = session.info.get(TENANT_KEY)
    crossing = session.info.get(ALL_TENANTS_KEY, False)
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if obj.tenant_id is None:
            if tenant_id is None:
                raise TenantNotBound(f"new {type(obj).__name__} with no city bound")
            obj.tenant_id = tenant_id
        elif tenant_id is not None and obj.tenant_id != tenant_id and not crossing:
            raise TenantMismatch(
                f"new {type(obj).__name__} for tenant {obj.tenant_id} while {tenant_id} is bound"
            )
        elif tenant_id is None and not crossing:
            raise TenantNotBound(f"new {type(obj).__name__} with no city bound")
    for obj in session.dirty:
        if not isinstance(obj, TenantScoped):
            continue
        history = sa.inspect(obj).attrs.tenant_id.history
        if history.deleted and history.deleted[0] is not None:
            raise TenantMismatch(f"{type(obj).__name__} cannot move to another city")
        if tenant_id is not None and obj.tenant_id != tenant_id and not crossing:
            raise TenantMismatch(
                f"{type(obj).__name__} of tenant {obj.tenant_id} changed while {tenant_id} is bound"
            )
