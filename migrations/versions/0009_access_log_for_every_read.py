"""accounts: the access log records API tokens' reads too, and why a record was opened

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 19:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_access_log', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('api_token', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.String(length=200), nullable=True))


def downgrade():
    op.execute("DELETE FROM staff_access_log WHERE user_id IS NULL")
    with op.batch_alter_table('staff_access_log', schema=None) as batch_op:
        batch_op.drop_column('reason')
        batch_op.drop_column('api_token')
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
