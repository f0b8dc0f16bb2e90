"""tenancy: a city's own closure days (beyond the national holidays and cuti bersama)

Revision ID: 0014
Revises: 0009
Create Date: 2026-11-30 20:45:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('city_closure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_city_closure_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_city_closure_tenant_id_tenant'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_city_closure')),
    sa.UniqueConstraint('tenant_id', 'day', name=op.f('uq_city_closure_tenant_id_day'))
    )
    _city_wall('city_closure')


def downgrade():
    op.drop_table('city_closure')


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
