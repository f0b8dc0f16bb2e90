"""couriers: the courier's own time of the latest status applied, so an older one never moves a trip

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 18:50:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_event_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('provider_event_at')
