"""documents: a name search the app's role can serve from an index — trigrams, read through a function

Under row-level security only leakproof operators become index conditions, and neither ``LIKE`` nor
pg_trgm's are, so a name that matches nothing read the city's every row (issue 13). The function
``antar_documents_named`` runs as the tables' owner (SECURITY DEFINER, which row-level security does
not bind), so its ``LIKE`` is served by a trigram index; it applies the city itself, the same
setting the policies read, and answers nothing when no city is set. PostgreSQL only: SQLite's
search is unchanged. ``pg_trgm`` and ``btree_gin`` are trusted extensions (PostgreSQL 13+): the
database's owner may create them.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 03:50:00

"""
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

APP_ROLE = "antar_app"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute("CREATE INDEX ix_document_tenant_id_name_trigrams ON document "
               "USING gin (tenant_id, owner_name_search gin_trgm_ops)")
    op.execute("""
DO $migration$
BEGIN
    EXECUTE format($function$
        CREATE FUNCTION antar_documents_named(pattern text, cap integer) RETURNS integer[]
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp
        AS $body$
            SELECT coalesce(array_agg(id), '{}') FROM (
                SELECT id FROM document
                WHERE tenant_id = NULLIF(current_setting('antar.tenant_id', true), '')::integer
                  AND owner_name_search LIKE pattern
                LIMIT cap + 1) AS found
        $body$$function$, current_schema());
END
$migration$""")
    op.execute("REVOKE ALL ON FUNCTION antar_documents_named(text, integer) FROM PUBLIC")
    op.execute(f"""
DO $grant$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        GRANT EXECUTE ON FUNCTION antar_documents_named(text, integer) TO {APP_ROLE};
    END IF;
END
$grant$""")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS antar_documents_named(text, integer)")
    op.execute("DROP INDEX IF EXISTS ix_document_tenant_id_name_trigrams")
