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
from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, relationship, with_loader_criteria
from werkzeug.local import LocalProxy

TENANT_KEY = "tenant_id"
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
    """Make ``tenant`` the only city the session can see; also the request's current tenant."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.id
    _session(session).info[TENANT_KEY] = tenant_id
    if has_app_context() and not isinstance(tenant, int):
        g.tenant = tenant


def unbind_tenant(session=None) -> None:
    _session(session).info.pop(TENANT_KEY, None)
    if has_app_context():
        g.pop("tenant", None)


@contextmanager
def tenant_bound(tenant, session=None):
    """Bind ``tenant`` for a block (jobs, CLI), restoring what was bound before."""
    sess = _session(session)
    before_id = sess.info.get(TENANT_KEY)
    before_g = g.get("tenant") if has_app_context() else None
    bind_tenant(tenant, sess)
    try:
        yield
    finally:
        if before_id is None:
            sess.info.pop(TENANT_KEY, None)
        else:
            sess.info[TENANT_KEY] = before_id
        if has_app_context():
            if before_g is None:
                g.pop("tenant", None)
            else:
                g.tenant = before_g


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


def _current_tenant():
    return g.get("tenant") if has_app_context() else None


#: The city of this request or job (a Tenant, or None outside one).
current_tenant = LocalProxy(_current_tenant)


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
