"""conversation: citizens answer in WhatsApp; free-form replies in the outbox; consent withdrawn

Revision ID: 0015
Revises: 0009
Create Date: 2026-11-30 20:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))

    op.create_table('message_opt_out',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_message_opt_out_tenant_id_tenant'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_opt_out'))
    )
    with op.batch_alter_table('message_opt_out', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_opt_out_tenant_id_phone_resumed_at'), ['tenant_id', 'phone', 'resumed_at'], unique=False)

    op.create_table('conversation',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('document_id', BIG_ID, nullable=True),
    sa.Column('last_inbound_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('handled_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('courier_offer', sa.JSON(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_conversation_document_id_document'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user_account.id'], name=op.f('fk_conversation_handled_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_conversation_tenant_id_tenant'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation')),
    sa.UniqueConstraint('tenant_id', 'phone', name=op.f('uq_conversation_tenant_id_phone'))
    )
    op.create_table('chat_message',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('conversation_id', BIG_ID, nullable=False),
    sa.Column('document_id', BIG_ID, nullable=True),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('wamid', sa.String(length=160), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reply', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('notification_id', BIG_ID, nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("direction in ('in', 'out')", name=op.f('ck_chat_message_direction')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_chat_message_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_chat_message_document_id_document'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_chat_message_notification_id_notification'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_chat_message_tenant_id_tenant'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_chat_message_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_message')),
    sa.UniqueConstraint('tenant_id', 'wamid', name=op.f('uq_chat_message_tenant_id_wamid'))
    )
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_message_tenant_id_conversation_id_at'), ['tenant_id', 'conversation_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_message_tenant_id_document_id'), ['tenant_id', 'document_id'], unique=False)
    _city_wall('message_opt_out', 'conversation', 'chat_message')


def downgrade():
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_message_tenant_id_document_id'))
        batch_op.drop_index(batch_op.f('ix_chat_message_tenant_id_conversation_id_at'))
    op.drop_table('chat_message')
    op.drop_table('conversation')
    with op.batch_alter_table('message_opt_out', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_opt_out_tenant_id_phone_resumed_at'))
    op.drop_table('message_opt_out')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('payload')


#: As in 0010: a city-owned table shows a transaction only its bound city's rows (or every row
#: inside ``all_tenants()``); SQLite has the ORM's filter only.
_CITY_ROWS = ("(tenant_id = NULLIF(current_setting('antar.tenant_id', true), '')::integer"
              " OR current_setting('antar.all_tenants', true) = 'on')")


def _city_wall(*tables):
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        op.execute(f'CREATE POLICY city_wall ON "{table}" USING {_CITY_ROWS} WITH CHECK {_CITY_ROWS}')
