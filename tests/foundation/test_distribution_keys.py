"""Distributing the schema by city (Citus) needs every key of a city's table to lead with tenant_id.

A city's table is one whose ``tenant_id`` cannot be empty. Its unique keys lead with the city (checked
on the models, which ``test_migrations`` holds equal to the migrated database); three are global on
purpose, each a look-up made before any city is known, and would become Citus reference data or a
look-up table of their own. Its primary key is ``(tenant_id, id)`` on PostgreSQL (checked on the
migrated database's catalog); SQLite keeps the lone ``id``, the only key it numbers by itself.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from saas.extensions import db

GLOBAL_LOOKUPS = {
    ("external_reference", ("kind", "ref")): "a gateway's id in a webhook names the city, not the other way",
    ("user_account", ("email",)): "signing in finds the account before the city",
    ("api_token", ("token_hash",)): "a Bearer token finds its city",
}
#: A city's table that is not distributed by city: its global key makes it a reference table.
NOT_DISTRIBUTED = {"external_reference"}


def _unique_keys(table):
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            yield tuple(c.name for c in constraint.columns)
    for index in table.indexes:
        if index.unique:
            yield tuple(c.name for c in index.columns)


def test_every_unique_key_of_a_citys_table_leads_with_the_city(app):
    with app.app_context():
        city_tables = [t for t in db.metadata.sorted_tables if "tenant_id" in t.c]
    assert len(city_tables) > 20
    stray = [(t.name, key) for t in city_tables for key in _unique_keys(t)
             if key[0] != "tenant_id" and (t.name, key) not in GLOBAL_LOOKUPS]
    assert not stray, f"unique keys that do not lead with tenant_id: {stray}"


def test_every_link_between_two_rows_of_a_city_carries_the_city(app):
    """A link between city rows is a same-city key (``same_city_key``), so none can point into
    another city. Staff accounts are the platform's (a superadmin has no city): links to them are
    plain keys."""
    with app.app_context():
        tables = list(db.metadata.sorted_tables)
    plain = [(table.name, fk.column_keys) for table in tables for fk in table.foreign_key_constraints
             if "tenant_id" in table.c and "tenant_id" in fk.referred_table.c
             and fk.referred_table.name not in ("tenant", "user_account") and fk.column_keys[0] != "tenant_id"]
    assert not plain, f"links that could point into another city: {plain}"


def test_every_primary_key_of_a_citys_table_leads_with_the_city(app):
    """Read from the migrated database, not the models: the ORM keeps ``id`` as the row's identity,
    the database's key is ``(tenant_id, id)``. A new city's table whose migration keys it by ``id``
    alone fails here."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite keeps the lone `id` as primary key (a composite key would stop it numbering "
                        "rows) and is never distributed; the PostgreSQL pass checks the keys")
        rows = db.session.execute(sa.text("""
            SELECT c.relname, array_agg(a.attname ORDER BY k.ord)
            FROM pg_class c
            JOIN pg_attribute t ON t.attrelid = c.oid AND t.attname = 'tenant_id' AND t.attnotnull
            JOIN pg_constraint p ON p.conrelid = c.oid AND p.contype = 'p'
            CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
            GROUP BY c.relname""")).all()
    keys = {table: list(columns) for table, columns in rows}
    assert {"document", "delivery", "notification", "chat_message"} <= keys.keys()
    stray = {table: key for table, key in keys.items() if key[0] != "tenant_id" and table not in NOT_DISTRIBUTED}
    assert not stray, f"primary keys of a city's table that do not lead with tenant_id: {stray}"


def test_the_readme_names_every_table_left_out_of_the_distribution(app):
    """What is not distributed by city becomes a Citus reference table; the README's note says which."""
    from saas.config import PROJECT_ROOT

    with app.app_context():
        tables = list(db.metadata.sorted_tables)
    reference = {t.name for t in tables if "tenant_id" not in t.c or t.c.tenant_id.nullable} | NOT_DISTRIBUTED
    readme = (PROJECT_ROOT / "README.md").read_text()
    note = readme[readme.index("Tables that would not be distributed"):].split("\n\n")[0]
    missing = sorted(name for name in reference if f"`{name}`" not in note)
    assert not missing, f"reference tables the README's note on distribution does not name: {missing}"
