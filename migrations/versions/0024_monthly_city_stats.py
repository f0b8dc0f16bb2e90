"""stats: a monthly rollup beside the daily one, so a year's comparison reads a row a city and month

Each row sums its month's ``daily_city_stats`` rows (flows and histogram) and keeps the month's
``ready`` day by day (``daily_ready``) for the volume line. Filled here from the daily rows.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 03:40:00

"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

FLOWS = ('ready', 'collected', 'delivered', 'deliveries_closed', 'deliveries_failed', 'deliveries_returned',
         'notifications_total', 'notifications_delivered', 'ratings_count', 'ratings_sum')
HISTOGRAM = tuple(f'h{n:02d}' for n in range(33))
SUMMED = FLOWS + HISTOGRAM


def upgrade():
    op.create_table('monthly_city_stats',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in FLOWS],
    sa.Column('daily_ready', sa.JSON().with_variant(postgresql.ARRAY(sa.Integer()), 'postgresql'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in HISTOGRAM],
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_monthly_city_stats_tenant_id_tenant'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monthly_city_stats')),
    sa.UniqueConstraint('tenant_id', 'month', name=op.f('uq_monthly_city_stats_tenant_id_month'))
    )
    # As 0023 made every city's table: on PostgreSQL the key leads with the city, and a plain
    # index on id serves look-ups by id alone.
    op.create_index(op.f('ix_monthly_city_stats_id'), 'monthly_city_stats', ['id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE "monthly_city_stats" DROP CONSTRAINT "pk_monthly_city_stats", '
                   'ADD CONSTRAINT "pk_monthly_city_stats" PRIMARY KEY (tenant_id, id)')
    _city_wall('monthly_city_stats')
    _fill()


def downgrade():
    op.drop_table('monthly_city_stats')


def _next_month(month):
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _fill():
    """The months of every city's daily rows (as the owner, whom the wall does not stop)."""
    bind = op.get_bind()
    daily = sa.table('daily_city_stats', sa.column('tenant_id'), sa.column('day', sa.Date()),
                     *[sa.column(name) for name in SUMMED])
    monthly = sa.table('monthly_city_stats', sa.column('tenant_id'), sa.column('month', sa.Date()),
                       sa.column('daily_ready', sa.JSON().with_variant(postgresql.ARRAY(sa.Integer()), 'postgresql')),
                       sa.column('updated_at', sa.DateTime(timezone=True)), *[sa.column(name) for name in SUMMED])
    now = bind.execute(sa.select(sa.func.current_timestamp())).scalar()
    for tenant_id in bind.execute(sa.select(daily.c.tenant_id).distinct()).scalars().all():
        months: dict = {}
        for row in bind.execute(sa.select(daily.c.day, *[daily.c[name] for name in SUMMED])
                                .where(daily.c.tenant_id == tenant_id)):
            day, values = row[0], row[1:]
            month = day.replace(day=1)
            if month not in months:
                months[month] = {'tenant_id': tenant_id, 'month': month, 'updated_at': now,
                                 'daily_ready': [0] * (_next_month(month) - month).days, **{n: 0 for n in SUMMED}}
            figures = months[month]
            for name, value in zip(SUMMED, values):
                figures[name] += value or 0
            figures['daily_ready'][day.day - 1] = values[0] or 0
        if months:
            bind.execute(sa.insert(monthly), list(months.values()))


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
