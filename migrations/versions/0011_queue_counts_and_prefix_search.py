"""documents: the queue's tab counts kept by the lifecycle, and an index for registration-number prefixes

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-30 20:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_status_count',
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('count', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_document_status_count_tenant_id_tenant'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'status', name=op.f('pk_document_status_count'))
    )
    # The counts start from the documents already there; from now on the lifecycle keeps them.
    op.execute("INSERT INTO document_status_count (tenant_id, status, count) "
               "SELECT tenant_id, status, count(*) FROM document GROUP BY tenant_id, status")
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index('ix_document_tenant_id_registration_no_prefix', ['tenant_id', 'registration_no'],
                              unique=False, postgresql_ops={'registration_no': 'varchar_pattern_ops'})
    _city_wall('document_status_count')


def downgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index('ix_document_tenant_id_registration_no_prefix')
    op.drop_table('document_status_count')


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
