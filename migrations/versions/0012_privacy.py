"""privacy: the record of data-subject requests, and each city's retention days

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-30 20:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_settings', sa.JSON(), server_default='{}', nullable=False))
    op.create_table('subject_request',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('nik_hash', sa.String(length=64), nullable=False),
    sa.Column('nik_masked', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('handled_by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind in ('export', 'erase')", name=op.f('ck_subject_request_kind')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user_account.id'], name=op.f('fk_subject_request_handled_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_subject_request_tenant_id_tenant'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_request'))
    )
    with op.batch_alter_table('subject_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_request_tenant_id_at'), ['tenant_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_subject_request_tenant_id_nik_hash'), ['tenant_id', 'nik_hash'], unique=False)
    _city_wall('subject_request')


def downgrade():
    with op.batch_alter_table('subject_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_request_tenant_id_nik_hash'))
        batch_op.drop_index(batch_op.f('ix_subject_request_tenant_id_at'))
    op.drop_table('subject_request')
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.drop_column('retention_settings')


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
