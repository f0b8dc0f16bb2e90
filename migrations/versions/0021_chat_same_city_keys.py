"""conversation: the chat's links to documents, messages and conversations become same-city keys

0015 made them single-column foreign keys, so a chat message of one city could point at another
city's document or outbox row (the wall of 0010 did not yet know these tables). As in 0010, each
link is now ``(tenant_id, x_id) → target (tenant_id, id)``; ``notification`` and ``conversation``
get the unique ``(tenant_id, id)`` that such keys point at. No row is deleted by Antar, so the links
that used to be emptied on delete are now refused instead.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 00:05:00

"""
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

#: (table, column, target, ondelete before, ondelete now)
LINKS = (
    ("conversation", "document_id", "document", "SET NULL", None),
    ("chat_message", "conversation_id", "conversation", "CASCADE", "CASCADE"),
    ("chat_message", "document_id", "document", "SET NULL", None),
    ("chat_message", "notification_id", "notification", "SET NULL", None),
)


def _tables_by_link():
    tables: dict[str, list] = {}
    for table, column, target, before, now in LINKS:
        tables.setdefault(table, []).append((column, target, before, now))
    return tables


def upgrade():
    for table in ("notification", "conversation"):
        op.create_index(op.f(f'ix_{table}_tenant_id_id'), table, ['tenant_id', 'id'], unique=True)
    for table, links in _tables_by_link().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, target, _before, now in links:
                name = f'fk_{table}_{column}_{target}'
                batch_op.drop_constraint(name, type_='foreignkey')
                batch_op.create_foreign_key(name, target, ['tenant_id', column], ['tenant_id', 'id'], ondelete=now)


def downgrade():
    for table, links in _tables_by_link().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, target, before, _now in links:
                name = f'fk_{table}_{column}_{target}'
                batch_op.drop_constraint(name, type_='foreignkey')
                batch_op.create_foreign_key(name, target, [column], ['id'], ondelete=before)
    for table in ("notification", "conversation"):
        op.drop_index(op.f(f'ix_{table}_tenant_id_id'), table_name=table)
