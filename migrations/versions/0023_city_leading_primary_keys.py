"""every city's table: the primary key leads with the city, (tenant_id, id), on PostgreSQL

Citus distributes a table by a column only if every primary and unique key holds that column; the
unique keys already lead with ``tenant_id`` (and the same-city foreign keys point at
``(tenant_id, id)``). Here the primary keys follow, on PostgreSQL: ``(tenant_id, id)`` in place of
``id``. ``id`` keeps its sequence, and the ORM keeps it as the row's identity. No foreign key points
at one of these tables by ``id`` alone (links between city rows are same-city keys; the platform's
tables point only at ``tenant`` and ``user_account``), so none has to move.

A lookup by ``id`` alone (the ORM's ``UPDATE … WHERE id = …``, jobs and webhooks that read across
cities) can no longer use the primary key's index, which now starts with the city: each table gets
a plain index on ``id``, on SQLite too, so that both databases match the models.

SQLite keeps ``id`` as its only primary key: a lone ``INTEGER PRIMARY KEY`` is the only column it
numbers by itself, and SQLite is never distributed.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 03:40:00

"""
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

#: Every city's table keyed by a surrogate ``id`` (``document_status_count`` is keyed by
#: ``(tenant_id, status)`` already). Not here: ``external_reference`` (its ``(kind, ref)`` is found
#: before the city, so it is looked up across cities) and the platform's tables (``tenant``,
#: ``user_account``, ``api_token``, ``platform_audit_log``): those stay reference tables.
CITY_TABLES = (
    "import_batch", "delivery", "document", "document_event", "delivery_event", "courier_callback",
    "notification", "pickup_slot", "pickup_booking", "problem_report", "rating", "staff_access_log",
    "daily_city_stats", "subject_request", "city_closure", "message_opt_out", "conversation",
    "chat_message",
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    for table in CITY_TABLES:
        op.create_index(op.f(f'ix_{table}_id'), table, ['id'], unique=False)
        if _postgresql():
            op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "pk_{table}", '
                       f'ADD CONSTRAINT "pk_{table}" PRIMARY KEY (tenant_id, id)')


def downgrade():
    for table in CITY_TABLES:
        if _postgresql():
            op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "pk_{table}", '
                       f'ADD CONSTRAINT "pk_{table}" PRIMARY KEY (id)')
        op.drop_index(op.f(f'ix_{table}_id'), table_name=table)
