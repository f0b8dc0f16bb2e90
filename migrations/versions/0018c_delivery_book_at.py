"""delivery.book_at: a courier asked for outside courier hours is booked at the next opening

Revision ID: 0018c
Revises: 0017
Create Date: 2026-12-01 00:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0018c'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('book_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('book_at')
