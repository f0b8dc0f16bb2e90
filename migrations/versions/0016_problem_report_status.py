"""problem reports: a status (new, in hand, resolved), who took one in hand and when, with a note

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 23:45:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('problem_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=12), server_default='new', nullable=False))
        batch_op.add_column(sa.Column('taken_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('taken_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('taken_note', sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_problem_report_taken_by_id_user_account'), 'user_account',
                                    ['taken_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(batch_op.f('ck_problem_report_status'),
                                         "status in ('new', 'in_hand', 'resolved')")
        batch_op.drop_index(batch_op.f('ix_problem_report_tenant_id_resolved_at_created_at'))
        batch_op.create_index(batch_op.f('ix_problem_report_tenant_id_status_created_at'),
                              ['tenant_id', 'status', 'created_at'], unique=False)
    # Reports marked handled before there was a status were answered: they are resolved.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT set_config('antar.all_tenants', 'on', true)")
    op.execute("UPDATE problem_report SET status = 'resolved' WHERE resolved_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('problem_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_problem_report_tenant_id_status_created_at'))
        batch_op.create_index(batch_op.f('ix_problem_report_tenant_id_resolved_at_created_at'),
                              ['tenant_id', 'resolved_at', 'created_at'], unique=False)
        batch_op.drop_constraint(batch_op.f('ck_problem_report_status'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_problem_report_taken_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('taken_note')
        batch_op.drop_column('taken_by_id')
        batch_op.drop_column('taken_at')
        batch_op.drop_column('status')
