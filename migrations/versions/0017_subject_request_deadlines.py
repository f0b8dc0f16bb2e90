"""privacy: data-subject requests logged on receipt, due 3 × 24 hours later, closed done or refused

Correction and consent withdrawal join export and erasure; who logged and who closed each is kept.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 23:45:00

"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

#: UU No. 27/2022: a data subject's request is answered within 3 × 24 hours.
ANSWER_WITHIN = timedelta(hours=72)


def upgrade():
    with op.batch_alter_table('subject_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_request_tenant_id_at'))
        batch_op.alter_column('at', new_column_name='handled_at', existing_type=sa.DateTime(timezone=True),
                              nullable=True)
        batch_op.alter_column('handled_by_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('logged_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=300), nullable=True))

    # Requests recorded before this revision were carried out as they came in: received, due
    # and done at the moment they were handled, by the one who handled them.
    table = sa.table('subject_request', sa.column('id', sa.Integer()),
                     sa.column('handled_at', sa.DateTime(timezone=True)),
                     sa.column('handled_by_id', sa.Integer()), sa.column('received_at', sa.DateTime(timezone=True)),
                     sa.column('due_at', sa.DateTime(timezone=True)), sa.column('status', sa.String()),
                     sa.column('logged_by_id', sa.Integer()))
    bind = op.get_bind()
    for row_id, handled_at, handled_by_id in bind.execute(
            sa.select(table.c.id, table.c.handled_at, table.c.handled_by_id)).all():
        bind.execute(sa.update(table).where(table.c.id == row_id).values(
            received_at=handled_at, due_at=handled_at + ANSWER_WITHIN, status='done', logged_by_id=handled_by_id))

    with op.batch_alter_table('subject_request', schema=None) as batch_op:
        batch_op.alter_column('received_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('due_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('status', existing_type=sa.String(length=10), nullable=False)
        batch_op.alter_column('logged_by_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_subject_request_logged_by_id_user_account'), 'user_account',
                                    ['logged_by_id'], ['id'], ondelete='RESTRICT')
        batch_op.drop_constraint(batch_op.f('ck_subject_request_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_subject_request_kind'),
                                         "kind in ('export', 'correct', 'erase', 'withdraw')")
        batch_op.create_check_constraint(batch_op.f('ck_subject_request_status'),
                                         "status in ('open', 'done', 'refused')")
        batch_op.create_index(batch_op.f('ix_subject_request_tenant_id_status_due_at'),
                              ['tenant_id', 'status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_subject_request_tenant_id_received_at'),
                              ['tenant_id', 'received_at'], unique=False)


def downgrade():
    # Before this revision only finished exports and erasures were recorded: the rest cannot stay.
    op.execute("DELETE FROM subject_request WHERE status <> 'done' OR kind NOT IN ('export', 'erase')")
    with op.batch_alter_table('subject_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_request_tenant_id_received_at'))
        batch_op.drop_index(batch_op.f('ix_subject_request_tenant_id_status_due_at'))
        batch_op.drop_constraint(batch_op.f('ck_subject_request_status'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_subject_request_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_subject_request_kind'), "kind in ('export', 'erase')")
        batch_op.drop_constraint(batch_op.f('fk_subject_request_logged_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('outcome')
        batch_op.drop_column('logged_by_id')
        batch_op.drop_column('status')
        batch_op.drop_column('due_at')
        batch_op.drop_column('received_at')
        batch_op.alter_column('handled_by_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('handled_at', new_column_name='at', existing_type=sa.DateTime(timezone=True),
                              nullable=False)
    with op.batch_alter_table('subject_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_request_tenant_id_at'), ['tenant_id', 'at'], unique=False)
