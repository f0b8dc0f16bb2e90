"""notifications: 'superseded' messages, and the intent recorded before an SMS is sent

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 18:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

OLD = "status in ('pending', 'queued', 'sent', 'delivered', 'failed', 'dead')"
NEW = "status in ('pending', 'queued', 'sent', 'delivered', 'failed', 'dead', 'superseded')"


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_status'), NEW)
        batch_op.add_column(sa.Column('send_started_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.execute("UPDATE notification SET status = 'dead' WHERE status = 'superseded'")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('send_started_at')
        batch_op.drop_constraint(op.f('ck_notification_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_status'), OLD)
