"""tenancy: a second wall between cities — same-city foreign keys, and row-level security on PostgreSQL

Every link between two tenant-owned rows becomes ``(tenant_id, x_id) → target (tenant_id, id)``
(on both databases), so no row can point into another city. On PostgreSQL every tenant-owned
table gets row-level security keyed to the transaction-local settings ``antar.tenant_id`` and
``antar.all_tenants`` (``saas.tenancy.scope``), and the role ``antar_app`` (NOLOGIN, owns
nothing, no BYPASSRLS) that the app works as gets the grants it needs. This migration runs as
the tables' owner, which the policies do not bind.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 20:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

APP_ROLE = "antar_app"

#: Every TenantScoped model's table (tests/foundation/test_second_wall.py checks the list).
TENANT_TABLES = (
    "courier_callback", "daily_city_stats", "delivery", "delivery_event", "document", "document_event",
    "import_batch", "notification", "pickup_booking", "pickup_slot", "problem_report", "rating",
    "staff_access_log",
)

#: (table, column, target, ondelete before, ondelete now): the links between tenant-owned rows.
LINKS = (
    ("delivery", "previous_delivery_id", "delivery", "SET NULL", None),
    ("courier_callback", "delivery_id", "delivery", "CASCADE", "CASCADE"),
    ("delivery_event", "delivery_id", "delivery", "CASCADE", "CASCADE"),
    ("document", "import_batch_id", "import_batch", "SET NULL", None),
    ("document", "delivery_id", "delivery", "SET NULL", None),
    ("document_event", "document_id", "document", "CASCADE", "CASCADE"),
    ("notification", "document_id", "document", "CASCADE", "CASCADE"),
    ("notification", "delivery_id", "delivery", "SET NULL", None),
    ("pickup_booking", "document_id", "document", "CASCADE", "CASCADE"),
    ("problem_report", "document_id", "document", "CASCADE", "CASCADE"),
    ("problem_report", "delivery_id", "delivery", "SET NULL", None),
    ("rating", "document_id", "document", "CASCADE", "CASCADE"),
    ("rating", "delivery_id", "delivery", "SET NULL", None),
)

#: The policy: the bound city's rows, or every row inside ``all_tenants()``; nothing otherwise.
CITY_ROWS = ("(tenant_id = NULLIF(current_setting('antar.tenant_id', true), '')::integer"
             " OR current_setting('antar.all_tenants', true) = 'on')")


def _tables_by_link():
    tables: dict[str, list] = {}
    for table, column, target, before, now in LINKS:
        tables.setdefault(table, []).append((column, target, before, now))
    return tables


def upgrade():
    # What rows of the same city point at: (tenant_id, id) is unique.
    op.drop_index(op.f('ix_document_tenant_id_id'), table_name='document')
    for table in ("delivery", "document", "import_batch"):
        op.create_index(op.f(f'ix_{table}_tenant_id_id'), table, ['tenant_id', 'id'], unique=True)
    for table, links in _tables_by_link().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, target, _before, now in links:
                name = f'fk_{table}_{column}_{target}'
                batch_op.drop_constraint(name, type_='foreignkey')
                batch_op.create_foreign_key(name, target, ['tenant_id', column], ['tenant_id', 'id'],
                                            ondelete=now)

    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps the ORM's wall only
    _create_app_role()
    for table in TENANT_TABLES:
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        op.execute(f'CREATE POLICY city_wall ON "{table}" USING {CITY_ROWS} WITH CHECK {CITY_ROWS}')


def _create_app_role():
    """``antar_app``: made here if the cluster has none yet (roles are cluster-wide, so another
    database may have made it), given to the migrating owner so the app may ``SET ROLE`` to it,
    and granted what the app does: read and write rows, never change the schema."""
    op.execute(f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        BEGIN
            CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- made meanwhile by a migration of another database
        END;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}' AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'role {APP_ROLE} must not be a superuser nor have BYPASSRLS';
    END IF;
    IF NOT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER') THEN
        EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {APP_ROLE}', current_schema());
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO {APP_ROLE}',
                   current_schema());
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}',
                   current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {APP_ROLE}',
                   current_schema());
    REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {APP_ROLE};
END
$$;
""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            op.execute(f'DROP POLICY IF EXISTS city_wall ON "{table}"')
            op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
        # The role stays: it belongs to the cluster, and other databases may use it.
        op.execute(f"""
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM {APP_ROLE}', current_schema());
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM {APP_ROLE}',
                       current_schema());
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM {APP_ROLE}', current_schema());
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM {APP_ROLE}', current_schema());
        EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM {APP_ROLE}', current_schema());
    END IF;
END
$$;
""")
    for table, links in _tables_by_link().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, target, before, _now in links:
                name = f'fk_{table}_{column}_{target}'
                batch_op.drop_constraint(name, type_='foreignkey')
                batch_op.create_foreign_key(name, target, [column], ['id'], ondelete=before)
    for table in ("delivery", "document", "import_batch"):
        op.drop_index(op.f(f'ix_{table}_tenant_id_id'), table_name=table)
    op.create_index(op.f('ix_document_tenant_id_id'), 'document', ['tenant_id', 'id'], unique=False)
