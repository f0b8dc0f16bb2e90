"""api: live and test tokens; documents made with a test token, and their messages never sent

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 00:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

OLD = "status in ('pending', 'queued', 'sent', 'delivered', 'failed', 'dead', 'superseded')"
NEW = "status in ('pending', 'queued', 'sent', 'delivered', 'failed', 'dead', 'superseded', 'test')"


def upgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), server_default='live', nullable=False))
        batch_op.create_check_constraint(op.f('ck_api_token_kind'), "kind in ('live', 'test')")
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_test', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_status'), NEW)


def downgrade():
    op.execute("UPDATE notification SET status = 'superseded' WHERE status = 'test'")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_status'), OLD)
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('is_test')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_api_token_kind'), type_='check')
        batch_op.drop_column('kind')
