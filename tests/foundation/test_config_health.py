"""Configuration from the environment, and the health endpoints."""
from __future__ import annotations

import pytest

from saas import create_app
from saas.config import ConfigError, load_config
from tests.conftest import base_config


def test_production_refuses_to_start_without_its_secrets_and_services(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ANTAR_DATA_KEY", "ANTAR_SANDBOXES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTAR_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("ANTAR_ENV", "production")
    with pytest.raises(ConfigError) as refused:
        load_config()
    for needed in ("SECRET_KEY", "ANTAR_DATA_KEY", "DATABASE_URL", "REDIS_URL"):
        assert needed in str(refused.value)
    monkeypatch.setenv("SECRET_KEY", "3Qm8vNw1Zr7Tk2Yp5Hc9Lx4Fb6Gd0Js-Ua_EoKiXtR")
    monkeypatch.setenv("ANTAR_DATA_KEY", "u8hQe2D2kq0oXg5p5yq4l9cY3G3Vbq2wY2pW2mQ1s7Q=")
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "verify-token-of-the-meta-app")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    with pytest.raises(ConfigError, match="postgresql"):
        load_config()
    monkeypatch.setenv("DATABASE_URL", "postgres://antar@db/antar")
    config = load_config()
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://antar@db/antar"
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert not config["SANDBOXES_ENABLED"]


def test_development_makes_its_secret_once_and_defaults_to_sqlite(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ANTAR_DATA_KEY", "ANTAR_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTAR_INSTANCE_DIR", str(tmp_path))
    first, second = load_config(), load_config()
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'antar.sqlite3'}"
    assert first["REDIS_URL"] is None and first["RATELIMIT_STORAGE_URI"] == "memory://"


def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["database"] == "ok"


@pytest.mark.services
def test_readyz_names_redis_when_it_stops(tmp_path, database_url, redis_server):
    app = create_app(base_config(tmp_path, database_url, REDIS_URL=redis_server.url))
    client = app.test_client()
    assert client.get("/readyz").get_json() == {"status": "ready",
                                                 "checks": {"database": "ok", "redis": "ok"}}
    redis_server.stop()
    down = client.get("/readyz")
    assert down.status_code == 503
    body = down.get_json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("unreachable")
    redis_server.start()
    assert client.get("/readyz").status_code == 200


def test_readyz_names_the_database_when_it_is_unreachable(tmp_path):
    app = create_app(base_config(tmp_path, "postgresql://nobody@127.0.0.1:1/none", REDIS_URL=None))
    down = app.test_client().get("/readyz")
    assert down.status_code == 503
    checks = down.get_json()["checks"]
    assert checks["database"].startswith("unreachable") and checks["redis"] == "ok (embedded)"
