"""documents: the office queue's newest-first order read from the city's own index

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 00:10:00

PostgreSQL answered a city's first page (``tenant_id = X ORDER BY id DESC``) by walking the primary
key down from the newest document of any city, stepping over another city's newer rows; the
``(tenant_id, id)`` index serves the same order but looks dearer to the planner, and an
``ORDER BY tenant_id, id`` is no help since the planner drops a key that equals a constant. The
queue now orders by ``CAST(id AS DOUBLE PRECISION)`` there, which only this index gives.
"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite orders by id itself (see ``queue_order``)
    # A plain CREATE INDEX holds writes to ``document`` while it builds (seconds per million rows).
    op.create_index('ix_document_tenant_id_queue_order', 'document',
                    ['tenant_id', sa.text('(CAST(id AS DOUBLE PRECISION))')], unique=False)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_document_tenant_id_queue_order', table_name='document')
