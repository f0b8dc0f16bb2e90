"""Column helpers shared by every capability's models."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column


#: Primary keys of the high-volume tables: BIGINT on PostgreSQL, the rowid on SQLite.
BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def made_on(dialect_name: str):
    """Alembic's ``include_object`` for ``dialect_name``: an index the models make on one database
    only (``info={"only_on": "postgresql"}`` beside its ``ddl_if``) is not missing on another."""
    def include(obj, name, type_, reflected, compare_to):
        only_on = getattr(obj, "info", {}).get("only_on")
        return only_on is None or only_on == dialect_name
    return include


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes on PostgreSQL and SQLite alike (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class FreeText(sa.types.TypeDecorator):
    """A column of free text (notes, reasons, comments, message bodies): no whole NIK or KK number
    is ever written to it, however it was typed (``saas.security.redact_niks`` at the bind)."""

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        from saas.security import redact_niks

        return redact_niks(value) if isinstance(value, str) else value


class FreeLongText(FreeText):
    """``FreeText`` without a length (message bodies)."""

    impl = sa.Text
    cache_ok = True


class FreeJSON(sa.types.TypeDecorator):
    """A JSON column holding what others wrote (import refusals, raw courier callbacks): every string
    in it is redacted before it is stored."""

    impl = sa.JSON
    cache_ok = True

    def process_bind_param(self, value, dialect):
        from saas.security import redact_niks_deep

        return redact_niks_deep(value)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


def commit_retrying(action, attempts: int = 3):
    """Run ``action()`` and commit; if a concurrent writer changed the same rows first
    (optimistic locking), roll back and run it again on fresh rows."""
    from sqlalchemy.orm.exc import StaleDataError

    from saas.extensions import db

    for attempt in range(attempts):
        try:
            result = action()
            db.session.commit()
            return result
        except StaleDataError:
            db.session.rollback()
            if attempt == attempts - 1:
                raise


def insert_rows(table: sa.Table, rows: list[dict], *, with_ids: bool = False) -> list[int] | None:
    """Write many rows of one shape in the session's transaction, as multi-row ``INSERT``s
    (SQLAlchemy's insertmanyvalues). On PostgreSQL ``with_ids`` gives each row its id first,
    from the table's sequence in one query, and returns them in the rows' order; SQLite returns
    None (the caller finds the rows again). Not ``COPY``: PostgreSQL refuses it on a table with
    row-level security, and the column types (the free-text redaction) would be bypassed.

    Rows written this way skip the ORM (its tenant filter and events): callers set ``tenant_id``.
    """
    from saas.extensions import db

    if not rows:
        return [] if with_ids else None
    db.session.flush()  # what the ORM holds goes first: these rows may refer to it
    connection = db.session.connection()
    if connection.dialect.name == "postgresql" and with_ids:
        ids = list(connection.execute(sa.text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": len(rows)}).scalars())
        connection.execute(table.insert(), [{"id": row_id, **row} for row_id, row in zip(ids, rows)])
        return ids
    connection.execute(table.insert(), rows)
    return None


@contextmanager
def staged_rows(table: sa.Table, rows: list[dict], constants: dict | None = None) -> Iterator[sa.Table]:
    """Write many rows of one shape into ``table`` (PostgreSQL only; an ``id`` drawn from its
    sequence) in the session's transaction: ``COPY`` into a temporary table of the rows' columns,
    then one ``INSERT … SELECT`` adding ``constants`` (the columns every row shares, sent once).
    Yields the temporary table, whose rows and their ids later statements may read (the events of
    the documents), and drops it after.

    ``COPY FROM`` is refused on a table with row-level security for a role that does not own it;
    a temporary table has none, and the ``INSERT`` that follows is checked against the city's
    policy row by row, as any insert. Values go through the columns' types first (the free-text
    redaction, UTC times), as an ``INSERT`` would send them; the Python-side defaults of the
    columns left out are added as an ``INSERT`` adds them. Rows written this way skip the ORM:
    callers set ``tenant_id``.
    """
    from saas.extensions import db

    constants = constants or {}
    db.session.flush()  # what the ORM holds goes first: these rows may refer to it
    connection = db.session.connection()
    dialect = connection.dialect
    names = list(rows[0]) if rows else []
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    sequence = connection.scalar(sa.text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name})
    staging = sa.Table(
        f"staging_{table.name}", sa.MetaData(),
        sa.Column("id", table.c.id.type, server_default=sa.text(f"nextval('{sequence.replace(chr(39), chr(39) * 2)}')")),
        *(sa.Column(name, table.c[name].type) for name in names),
        prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
    )
    staging.create(connection)
    quote = dialect.identifier_preparer.quote
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {quote(staging.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] if process is None else process(row[name])
                                for name, process in zip(names, processors)])
    connection.execute(table.insert().from_select(["id", *names, *constants], sa.select(
        staging.c.id, *(staging.c[name] for name in names),
        *(sa.null() if value is None else sa.literal(value, type_=table.c[name].type)
          for name, value in constants.items()))))
    yield staging
    # On an error the transaction's rollback takes the table with it.
    staging.drop(connection)
