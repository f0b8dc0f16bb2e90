"""The migrations build the schema on an empty database, and agree with the models."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from saas import create_app
from saas.config import PROJECT_ROOT
from saas.extensions import db
from saas.models import made_on
from tests.conftest import TEST_DATABASE_URL, base_config

MIGRATIONS = str(PROJECT_ROOT / "migrations")


def _differences(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_object": made_on(conn.dialect.name)})
        return compare_metadata(context, db.metadata)


def test_models_and_migrations_agree(app):
    """The suite's database was built by `db upgrade`; autogenerate must find nothing to add."""
    with app.app_context():
        assert _differences(db.engine) == []


def test_upgrade_builds_an_empty_sqlite_database_and_downgrade_undoes_it(tmp_path):
    app = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'fresh.sqlite3'}", REDIS_URL=None))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        assert "tenant" in sa.inspect(db.engine).get_table_names()
        assert _differences(db.engine) == []
        downgrade(directory=MIGRATIONS, revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        db.engine.dispose()


def test_upgrade_builds_an_empty_postgresql_database(tmp_path):
    from tests.conftest import missing_service

    if not TEST_DATABASE_URL:
        missing_service("ANTAR_TEST_DATABASE_URL is not set")
    url = sa.engine.make_url(TEST_DATABASE_URL)
    scratch = f"{url.database}_migrations"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{scratch}"'))
    try:
        app = create_app(base_config(tmp_path, url.set(database=scratch).render_as_string(False)))
        with app.app_context():
            upgrade(directory=MIGRATIONS)
            assert _differences(db.engine) == []
            downgrade(directory=MIGRATIONS, revision="base")
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        admin.dispose()


def test_the_readme_s_flask_db_upgrade_builds_the_schema(tmp_path):
    """Production's first step (`flask --app wsgi db upgrade`): the command is there although
    Flask-Migrate itself loads only when a command touches the schema."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    app = create_app(base_config(tmp_path, url, REDIS_URL=None))
    listed = app.test_cli_runner().invoke(args=["db", "--help"])
    assert listed.exit_code == 0 and "upgrade" in listed.output, listed.output
    ran = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert ran.exit_code == 0, ran.output
    with app.app_context():
        assert "document" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
