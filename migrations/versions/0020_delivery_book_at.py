"""delivery.book_at: a courier asked for outside courier hours is booked at the next opening

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 00:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('book_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('book_at')
