"""Test fixtures: a migrated database with the six shipped cities, always.

The suite runs on the embedded defaults (SQLite file, fakeredis) unless
``ANTAR_TEST_DATABASE_URL`` / ``ANTAR_TEST_REDIS_URL`` name a real PostgreSQL database and
Redis (CI's second pass). ``ANTAR_REQUIRE_SERVICES=1`` turns every skip for a missing
service or browser into a failure, so a CI pass cannot go green by skipping.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis

from saas import create_app
from saas.config import PROJECT_ROOT
from saas.extensions import db, limiter
from saas.jobs import runtime
from saas.tenancy.services import sync_tenants

TEST_DATABASE_URL = os.environ.get("ANTAR_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("ANTAR_TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("ANTAR_REQUIRE_SERVICES") == "1"
TENANTS_DIR = PROJECT_ROOT / "tenants"
DATA_KEY = "u8hQe2D2kq0oXg5p5yq4l9cY3G3Vbq2wY2pW2mQ1s7Q="


def missing_service(reason: str):
    """Skip for a developer without the service; fail in CI, where it must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required for this run: {reason}")
    pytest.skip(reason)


def _is_postgres(url: str | None) -> bool:
    return bool(url and url.startswith(("postgresql", "postgres")))


def base_config(tmp_dir: Path, database_url: str, **extra) -> dict:
    config = {
        "TESTING": True,
        "INSTANCE_DIR": str(tmp_dir),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": TEST_REDIS_URL,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATA_KEY": DATA_KEY,
        "PASSWORD_HASH_COST": "test",
        "EMBEDDED_WORKER": "off",
        "SANDBOXES_ENABLED": True,
        "TENANTS_DIR": str(TENANTS_DIR),
        "PUBLIC_BASE_URL": "http://antar.test",
        # Tests send to one person many times a second; the pacing tests turn the pair limit on.
        "WHATSAPP_PAIR_INTERVAL": 0.0,
        "SERVER_NAME": None,
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        url = sa.engine.make_url(TEST_DATABASE_URL)
        if "test" not in (url.database or ""):
            pytest.exit("ANTAR_TEST_DATABASE_URL must name a throwaway database with 'test' in its name")
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'antar-test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    app = create_app(base_config(tmp_path_factory.mktemp("instance"), database_url))
    with app.app_context():
        if _is_postgres(database_url):
            with owner_engine().begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


_OWNER_ENGINES: dict[str, sa.engine.Engine] = {}


def owner_engine() -> sa.engine.Engine:
    """The app's database as its owner (the login role), without the app's ``SET ROLE``: for what
    the app may not do (empty tables, drop the schema) and for looking past row-level security."""
    url = db.engine.url
    key = url.render_as_string(hide_password=False)
    if key not in _OWNER_ENGINES:
        _OWNER_ENGINES[key] = sa.create_engine(url, poolclass=sa.pool.NullPool)
    return _OWNER_ENGINES[key]


def reset_state(app) -> None:
    """Empty every table but the migration marker, then sync the six shipped cities."""
    with app.app_context():
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            with owner_engine().begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            with db.engine.begin() as conn:
                for table in tables:
                    conn.execute(table.delete())
        sync_tenants(TENANTS_DIR)
        db.session.remove()
        # The rows were emptied behind the ORM's back: no city a test before this one cached may
        # outlive them (the cache only hears of changes made through a session's commit).
        from saas.tenancy.cache import EXTENSION_KEY
        if EXTENSION_KEY in app.extensions:
            app.extensions[EXTENSION_KEY].clear()
        runtime(app).connection().flushdb()
        limiter.init_app(app)  # one Limiter serves one app; a test may have made another
        limiter.reset()


def reset_sandboxes() -> None:
    """Sandboxes forget everything, and Antar forgets it ever registered with them."""
    from saas import sandbox_registry
    from saas.sandboxes import couriers, messages

    couriers.reset()
    messages.reset()
    sandbox_registry.forget()


@pytest.fixture(autouse=True)
def clean_state(app):
    reset_state(app)
    reset_sandboxes()
    yield
    with app.app_context():
        db.session.remove()


@pytest.fixture
def ctx(app):
    """An app context (no tenant bound) for service-level tests."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tenant(ctx):
    from saas.tenancy.services import get_tenant

    return get_tenant("balikpapan")


@pytest.fixture
def other_tenant(ctx):
    from saas.tenancy.services import get_tenant

    return get_tenant("samarinda")


# -- helpers ----------------------------------------------------------------------------
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token in a form"
    return match.group(1)


def submit(client, page_url: str, data: dict, action: str | None = None, **kwargs):
    """Open the page like a browser, then post its form with the page's own CSRF token."""
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    payload = dict(data)
    payload["csrf_token"] = csrf_token_from(page.get_data(as_text=True))
    return client.post(action or page_url, data=payload, **kwargs)


def make_user(app, slug: str | None, role: str, email: str | None = None,
              password: str = "correct horse battery", name: str | None = None):
    from saas.accounts.services import create_user
    from saas.tenancy.services import get_tenant

    with app.app_context():
        tenant = get_tenant(slug) if slug else None
        user = create_user(tenant=tenant, role=role, email=email or f"{role}@{slug or 'platform'}.test",
                           password=password, name=name or f"{role} of {slug or 'platform'}")
        db.session.commit()
        return user.id


def sign_in(client, slug: str | None, email: str, password: str = "correct horse battery"):
    url = f"/{slug}/office/login" if slug else "/admin/login"
    return submit(client, url, {"email": email, "password": password})


@pytest.fixture
def staff(app, client):
    """Sign a Balikpapan staff member of the given role in: ``staff("operator")``."""

    def _sign_in(role: str = "operator", slug: str = "balikpapan"):
        from saas.accounts.services import find_user
        from saas.tenancy.services import get_tenant

        email = f"{role}@{slug}.test"
        with app.app_context():
            exists = find_user(get_tenant(slug), email) is not None
        if not exists:
            make_user(app, slug, role, email)
        response = sign_in(client, slug, email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _sign_in


# -- a live server, for anything that talks HTTP to the app (sandboxes, callbacks, browsers) ------
class LiveServer:
    def __init__(self, app):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()


@pytest.fixture(scope="session")
def _live_server(app):
    server = LiveServer(app)
    yield server
    server.server.shutdown()


@pytest.fixture
def live_server(app, _live_server):
    """The app over real HTTP; its public address is the live one for the test's duration."""
    before = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = _live_server.url
    yield _live_server
    app.config["PUBLIC_BASE_URL"] = before


def wait_for(predicate, timeout: float = 10, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


# -- real services --------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A private redis-server process the test can stop and start at will."""

    def __init__(self, workdir: Path):
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if Redis.from_url(self.url, socket_connect_timeout=0.2).ping():
                    return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path):
    if not (shutil.which("redis-server") or Path("/usr/bin/redis-server").exists()):
        missing_service("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def flask_command(*args, env: dict, timeout: float = 120, check: bool = True):
    """Run ``flask --app wsgi …`` as its own process, as an operator would."""
    full_env = {**os.environ, **env}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args],
                            cwd=PROJECT_ROOT, env=full_env, capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def process_env(app, **extra) -> dict:
    """Environment for a subprocess that must see the same database as the test app."""
    env = {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "ANTAR_DATA_KEY": app.config["DATA_KEY"],
        "ANTAR_INSTANCE_DIR": app.config["INSTANCE_DIR"],
        "ANTAR_PASSWORD_HASH_COST": "test",
        "ANTAR_EMBEDDED_WORKER": "off",
    }
    env.update({k: v for k, v in extra.items() if v is not None})
    if app.config.get("REDIS_URL") and "REDIS_URL" not in extra:
        env["REDIS_URL"] = app.config["REDIS_URL"]
    return env
