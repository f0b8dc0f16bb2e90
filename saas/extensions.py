"""The Flask extensions, created once and bound in ``create_app``."""
from __future__ import annotations

import select

import click

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import Pool

# Stable constraint names, so Alembic can alter them on PostgreSQL and SQLite alike.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class DeferredMigrate:
    """Flask-Migrate, and Alembic behind it (a second of imports a web worker never needs), loaded
    the first time a command asks for ``app.extensions["migrate"]``."""

    def init_app(self, app, db, **options) -> None:
        app.extensions["migrate"] = _MigrateOnDemand(app, db, options)
        app.cli.add_command(_DatabaseCommands("db", help="Database migrations (Alembic, via Flask-Migrate)."))


class _DatabaseCommands(click.Group):
    """``flask db …``: Flask-Migrate's own commands, imported when one of them is asked for (the
    real group is registered only when Flask-Migrate loads, which a command that never touches the
    schema does not make happen)."""

    @staticmethod
    def _real() -> click.Group:
        from flask_migrate.cli import db as commands

        return commands

    def make_context(self, info_name, args, parent=None, **extra):
        return self._real().make_context(info_name, args, parent=parent, **extra)  # its options and all

    def list_commands(self, ctx):
        return self._real().list_commands(ctx)

    def get_command(self, ctx, name):
        return self._real().get_command(ctx, name)


class _MigrateOnDemand:
    def __init__(self, app, db, options):
        self._app, self._db, self._options = app, db, options

    def __getattr__(self, name):
        from flask_migrate import Migrate

        Migrate(self._app, self._db, **self._options)  # replaces this stand-in in app.extensions
        return getattr(self._app.extensions["migrate"], name)


migrate = DeferredMigrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, and let the embedded worker write beside the web thread."""
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_savepoint_inside_a_transaction(conn, name):
    """SQLite: a savepoint taken with no transaction open would start one of its own, which its
    RELEASE commits (so a later failure could not undo it), and whose first reads pin a snapshot
    that another writer's commit makes unwritable ("database is locked" at once, no waiting).
    Open the transaction first, taking the write lock (waiting ``busy_timeout`` for it)."""
    if conn.dialect.name != "sqlite":
        return
    dbapi_connection = conn.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN IMMEDIATE")


@event.listens_for(Session, "do_orm_execute")
def _sqlite_for_update_takes_the_write_lock(orm_execute_state):
    """SQLite has no row locks, so ``SELECT … FOR UPDATE`` (a booking job's trip, a problem report
    taken in hand) locked nothing: a courier's callback could commit a change to the same row
    meanwhile, and the job's own commit then failed on the row's version and lost what it had
    written (the new price). Here it takes the database's write lock instead, as PostgreSQL takes
    the row's: the other writer waits ``busy_timeout`` for this transaction to end."""
    statement = orm_execute_state.statement
    if not orm_execute_state.is_select or getattr(statement, "_for_update_arg", None) is None:
        return
    connection = orm_execute_state.session.connection(bind_arguments=orm_execute_state.bind_arguments)
    if connection.dialect.name != "sqlite":
        return
    dbapi_connection = connection.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN IMMEDIATE")


@event.listens_for(Pool, "checkout")
def _drop_connections_the_server_closed(dbapi_connection, connection_record, connection_proxy):
    """Instead of a round trip to the server on every checkout (``pool_pre_ping``), one non-blocking
    look at the socket. A connection idle in the pool has nothing to read unless the server closed
    it (PostgreSQL restarted or was stopped, an idle timeout): then it is thrown away and the pool
    connects afresh (SQLAlchemy retries a checkout refused this way). A connection lost some other
    way fails its first statement, and the request answers 503 (``saas.create_app``)."""
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None or type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    try:
        descriptor = fileno()
    except Exception as exc:  # closed on our side already
        raise DisconnectionError("the connection is closed") from exc
    poller = select.poll()
    poller.register(descriptor, select.POLLIN | select.POLLERR | select.POLLHUP)
    if poller.poll(0):
        raise DisconnectionError("the database server closed this connection")
