"""Tenant isolation that does not depend on anyone remembering a filter.

The current city is bound to the database session (``session.info``); every ORM SELECT,
UPDATE and DELETE that touches a ``TenantScoped`` model is then narrowed to that city, and
every new tenant-owned row is stamped with it. A session with no city bound refuses to
read tenant-owned rows at all, unless the caller says, in so many words, that it means to
read across cities (``all_tenants()`` or ``execution_options(all_tenants=True)``): only the
console, the stats rollups and the platform's own jobs do.

On PostgreSQL a second wall stands behind that one: row-level security. Every transaction
tells the database which city it is about with transaction-local settings
(``set_config('antar.tenant_id', …, true)``, and ``antar.all_tenants`` only inside
``all_tenants()``), so a raw ``text()`` query, a Core ``update()`` or a forgotten filter still
sees and touches only the bound city's rows, and nothing at all with no city bound. The app
works as a role that owns no table (``antar_app``, see ``assume_app_role``), so the policies
hold for it; migrations run as the owner.
"""
from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, relationship, with_loader_criteria
from werkzeug.local import LocalProxy

TENANT_KEY = "tenant_id"
TENANT_OBJECT_KEY = "tenant"
ALL_TENANTS_KEY = "all_tenants"
#: The PostgreSQL settings the row-level security policies read (see migration 0010).
CITY_SETTING = "antar.tenant_id"
ALL_CITIES_SETTING = "antar.all_tenants"
#: What this session's current transaction has told PostgreSQL: (city id, across cities).
_TOLD_KEY = "_antar_city_told"
_NOTHING_TOLD = (None, False)  # a fresh transaction: no city, not across cities


class TenantNotBound(RuntimeError):
    """A tenant-owned table was read or written with no city bound to the session."""


class TenantMismatch(RuntimeError):
    """A row of one city was about to be written while another city is bound."""


class TenantScoped:
    """Mixin for every model that belongs to one city: ``tenant_id`` is stamped and filtered.

    On PostgreSQL the table's primary key is ``(tenant_id, id)`` (migration ``0023``), the shape a
    distribution of the schema by city (Citus) needs; the ORM keeps ``id`` alone as the row's
    identity (``session.get(Model, id)``), as the sequence keeps it unique. SQLite keeps ``id`` as
    its only primary key: only a lone ``INTEGER PRIMARY KEY`` draws its values by itself there.
    Either way the table gets a plain index on ``id`` (below), for what finds a row by its id
    without naming the city: the ORM's own ``UPDATE … WHERE id = …``, jobs and webhooks inside
    ``all_tenants()``.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(
            sa.ForeignKey("tenant.id", ondelete="RESTRICT"), nullable=False, index=False
        )

    @declared_attr
    def tenant(cls):
        return relationship("Tenant", viewonly=True)


@event.listens_for(TenantScoped, "after_mapper_constructed", propagate=True)
def _index_the_id(mapper, cls):
    table = mapper.local_table
    if isinstance(table, sa.Table) and "id" in table.c and table.primary_key.columns.keys() == ["id"]:
        sa.Index(None, table.c.id)  # named ix_<table>_id by the metadata's convention


def same_city_key(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    """A link from ``table.column`` to a row of ``target`` of the same city: the foreign key is
    ``(tenant_id, column) → target (tenant_id, id)``, so no row can point into another city.

    Where the link used to be emptied when its target went (``SET NULL``), deleting a target
    that rows still point at is now refused: emptying it would empty their ``tenant_id`` too.
    Antar never deletes those rows (deliveries, documents, import batches)."""
    return sa.ForeignKeyConstraint(
        ["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"],
        name=f"fk_{table}_{column}_{target}", ondelete=ondelete,
    )


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
    tell_database(sess)


def unbind_tenant(session=None) -> None:
    sess = _session(session)
    sess.info.pop(TENANT_KEY, None)
    sess.info.pop(TENANT_OBJECT_KEY, None)
    tell_database(sess)


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
        tell_database(sess)


_CROSSING_WATCHERS = "antar_crossing_watchers"


def watch_crossings(app, watcher) -> None:
    """A capability above hears of every read across cities: ``watcher()`` is called, in the app
    context that crosses, each time a session starts to (an ``all_tenants()`` block, or one
    statement with ``execution_options(all_tenants=True)``). The console audits those made for a
    person; the watcher must be cheap and must not query."""
    watchers = app.extensions.setdefault(_CROSSING_WATCHERS, [])
    if watcher not in watchers:
        watchers.append(watcher)


def _crossing() -> None:
    if not has_app_context():
        return
    for watcher in current_app.extensions.get(_CROSSING_WATCHERS, ()):
        watcher()


@contextmanager
def all_tenants(session=None):
    """The explicit opt-out: inside this block the session reads and writes across cities.

    On PostgreSQL this is the one path through the row-level security policies' other branch
    (``antar.all_tenants = on``, set for the transaction while the block lasts)."""
    sess = _session(session)
    if not sess.info.get(ALL_TENANTS_KEY, False):
        _crossing()
    with _across(sess):
        yield sess


@contextmanager
def _across(sess):
    before = sess.info.get(ALL_TENANTS_KEY, False)
    sess.info[ALL_TENANTS_KEY] = True
    tell_database(sess)
    try:
        yield sess
    finally:
        sess.info[ALL_TENANTS_KEY] = before
        tell_database(sess)


# -- the second wall: what PostgreSQL's row-level security is told --------------------------
def set_city_setting(connection, tenant_id: int | None, across: bool = False) -> None:
    """Tell PostgreSQL, for this transaction only, which city ``connection`` works for (or that it
    works across cities). Transaction-local (``set_config(…, true)``): it ends with the
    transaction, so a pooled connection never carries it to the next request. No-op elsewhere.

    Said on psycopg's own cursor: it runs at the start of every transaction, and SQLAlchemy's
    statement machinery (compiling, caching, a result object) cost more than the statement."""
    if connection.dialect.name != "postgresql":
        return
    city = "" if tenant_id is None else str(int(tenant_id))
    all_ = "on" if across else "off"
    raw = connection.connection.dbapi_connection
    if type(raw).__module__.split(".")[0] == "psycopg":
        import psycopg

        try:
            with raw.cursor() as cursor:
                cursor.execute(_CITY_PSYCOPG, (CITY_SETTING, city, ALL_CITIES_SETTING, all_))
            return
        except psycopg.OperationalError:
            pass  # said again below, where SQLAlchemy reports a lost connection as such (503)
    connection.execute(sa.text("SELECT set_config(:city_setting, :city, true), set_config(:all_setting, :all, true)"),
                       {"city_setting": CITY_SETTING, "city": city, "all_setting": ALL_CITIES_SETTING, "all": all_})


_CITY_PSYCOPG = "SELECT set_config(%s, %s, true), set_config(%s, %s, true)"


def _wanted(session) -> tuple[int | None, bool]:
    return session.info.get(TENANT_KEY), bool(session.info.get(ALL_TENANTS_KEY))


def tell_database(session=None) -> None:
    """Bring the current transaction's settings in line with what is bound (a city bound or an
    ``all_tenants`` block entered in the middle of a transaction); nothing if none is open."""
    sess = _session(session)
    if not sess.in_transaction():
        return  # the next transaction is told when it begins (``after_begin``)
    if not sess.get_transaction().is_active:
        return  # a failed flush: only a rollback may follow, and the error in flight must stay the one raised
    wanted = _wanted(sess)
    if sess.info.get(_TOLD_KEY) == wanted:
        return
    connection = sess.connection()  # may begin it, and then ``after_begin`` has told it already
    if sess.info.get(_TOLD_KEY) != wanted:
        set_city_setting(connection, *wanted)
        sess.info[_TOLD_KEY] = wanted


@event.listens_for(Session, "after_begin")
def _tell_new_transaction(session, transaction, connection):
    wanted = _wanted(session)
    if connection.dialect.name == "postgresql" and wanted != _NOTHING_TOLD:
        set_city_setting(connection, *wanted)
    session.info[_TOLD_KEY] = wanted


@event.listens_for(Session, "after_transaction_end")
def _forget_what_was_told(session, transaction):
    # The settings end with the transaction; a savepoint rolled back may have undone them too.
    if transaction.parent is None or transaction.nested:
        session.info.pop(_TOLD_KEY, None)


def assume_app_role(engine, role: str) -> None:
    """Each new PostgreSQL connection of ``engine`` works as ``role`` (``SET ROLE``): a role that
    owns no table and cannot bypass row-level security, so the policies hold for the app even
    when it logs in as the tables' owner. Committed at once, so no rollback undoes it."""
    if engine.dialect.name != "postgresql" or not role:
        return
    statement = "SET ROLE " + engine.dialect.identifier_preparer.quote(role)

    @event.listens_for(engine, "connect")
    def _set_role(dbapi_connection, connection_record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute(statement)
        dbapi_connection.commit()


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
    session = state.session
    if state.execution_options.get(ALL_TENANTS_KEY) and not session.info.get(ALL_TENANTS_KEY):
        # One statement across cities: the database is told so for that statement only.
        _crossing()
        if session.connection().dialect.name == "postgresql":
            with _across(session):
                result = state.invoke_statement()
            return result
        return
    tell_database(session)
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if session.info.get(ALL_TENANTS_KEY):
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
    tell_database(session)
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
