"""Configuration from the environment.

Embedded defaults (SQLite under ``instance/``, in-process jobs) make the demo run on a bare
machine; ``ANTAR_ENV=production`` turns every default that would be unsafe into a refusal.
"""
from __future__ import annotations

import base64
import binascii
import math
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The environment does not describe a runnable Antar."""


def _instance_dir() -> Path:
    path = Path(os.environ.get("ANTAR_INSTANCE_DIR", PROJECT_ROOT / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_file(instance: Path, name: str, make) -> str:
    """A development secret made once and kept in ``instance/`` (mode 0600)."""
    path = instance / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
    return path.read_text().strip()


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _weak_secret_key(value: str) -> bool:
    """At least 32 bytes and ~128 bits by a crude count: a repeated word or one letter is not a key."""
    return len(value.encode()) < 32 or len(value) * math.log2(max(len(set(value)), 1)) < 128


def _weak_data_key(value: str) -> bool:
    """It must be what the development key is: 32 random bytes in urlsafe base64 (a Fernet key)."""
    try:
        raw = base64.urlsafe_b64decode(value.encode())
    except (binascii.Error, ValueError):
        return True
    return len(raw) != 32 or len(set(raw)) < 16  # 32 random bytes repeat a value rarely


def _refuse_unsafe_production(config: dict) -> None:
    """Production starts only with real keys and without the sandboxes' open doors and stand-in secrets."""
    problems = []
    if config.get("SANDBOXES_ENABLED"):
        problems.append("ANTAR_SANDBOXES must be off (the sandboxes have no authentication)")
    if _weak_secret_key(config["SECRET_KEY"]):
        problems.append("SECRET_KEY must be at least 32 random bytes (e.g. secrets.token_urlsafe(48))")
    if _weak_data_key(config["DATA_KEY"]):
        problems.append("ANTAR_DATA_KEY must be 32 random bytes, urlsafe base64 (Fernet.generate_key())")
    if not config.get("WHATSAPP_VERIFY_TOKEN"):
        problems.append("WHATSAPP_VERIFY_TOKEN must be set")
    if config.get("METRICS_TOKEN") and _weak_secret_key(config["METRICS_TOKEN"]):
        problems.append("ANTAR_METRICS_TOKEN, when set, must be at least 32 random bytes (e.g. secrets.token_urlsafe(32))")
    if problems:
        raise ConfigError("ANTAR_ENV=production refuses to start: " + "; ".join(problems))


def load_config(overrides: dict | None = None) -> dict:
    """The app's settings: environment first, then ``overrides`` (tests, demo)."""
    env = os.environ
    overrides = dict(overrides or {})
    production = (overrides.get("ANTAR_ENV") or env.get("ANTAR_ENV", "development")) == "production"
    instance = Path(overrides.get("INSTANCE_DIR") or _instance_dir())
    instance.mkdir(parents=True, exist_ok=True)

    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or env.get("DATABASE_URL")
    redis_url = overrides["REDIS_URL"] if "REDIS_URL" in overrides else env.get("REDIS_URL")
    secret_key = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    data_key = overrides.get("DATA_KEY") or env.get("ANTAR_DATA_KEY")

    if database_url and database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://"):]
    if database_url and database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]

    if production:
        missing = []
        if not secret_key:
            missing.append("SECRET_KEY")
        if not data_key:
            missing.append("ANTAR_DATA_KEY")
        if not database_url or not database_url.startswith("postgresql"):
            missing.append("DATABASE_URL (postgresql://…)")
        if not redis_url:
            missing.append("REDIS_URL")
        if missing:
            raise ConfigError(
                "ANTAR_ENV=production refuses to start without: " + ", ".join(missing)
            )
    else:
        secret_key = secret_key or _secret_file(
            instance, "secret_key", lambda: secrets.token_urlsafe(48)
        )
        data_key = data_key or _secret_file(
            instance, "data_key", lambda: base64.urlsafe_b64encode(os.urandom(32)).decode()
        )


    if not database_url:
        database_url = f"sqlite:///{instance / 'antar.sqlite3'}"

    config = {
        "ANTAR_ENV": "production" if production else "development",
        "INSTANCE_DIR": str(instance),
        "SECRET_KEY": secret_key,
        "DATA_KEY": data_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # PostgreSQL: the role each connection works as (SET ROLE), one that owns no table and
        # cannot bypass row-level security; empty when the login role is already such a role.
        "DATABASE_ROLE": env.get("ANTAR_DATABASE_ROLE", "antar_app").strip(),
        "REDIS_URL": redis_url or None,
        "TENANTS_DIR": env.get("ANTAR_TENANTS_DIR", str(PROJECT_ROOT / "tenants")),
        "PUBLIC_BASE_URL": env.get("ANTAR_PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # Embedded worker: "thread" runs queued jobs in the background of this process,
        # "off" leaves them for `flask worker` (or for a test that drains the queues).
        "EMBEDDED_WORKER": env.get("ANTAR_EMBEDDED_WORKER", "thread"),
        "SANDBOXES_ENABLED": _flag(env.get("ANTAR_SANDBOXES"), default=not production),
        "WHATSAPP_VERIFY_TOKEN": env.get("WHATSAPP_VERIFY_TOKEN") or None,
        # Prometheus' bearer token for /metrics; unset, there is no /metrics (404).
        "METRICS_TOKEN": env.get("ANTAR_METRICS_TOKEN") or None,
        "PASSWORD_HASH_COST": env.get("ANTAR_PASSWORD_HASH_COST", "standard"),
        # Notifications: retry schedule (seconds), when a claim or a queued row counts as lost.
        "NOTIFICATION_RETRY_DELAYS": [float(x) for x in
                                      env.get("ANTAR_NOTIFICATION_RETRY_DELAYS", "30,120,600,3600").split(",")],
        "NOTIFICATION_CLAIM_TIMEOUT": float(env.get("ANTAR_NOTIFICATION_CLAIM_TIMEOUT", "120")),
        "NOTIFICATION_STUCK_AFTER": float(env.get("ANTAR_NOTIFICATION_STUCK_AFTER", "120")),
        # Messages a drain claims of one city at a time (it interleaves the cities' batches).
        "NOTIFICATION_BATCH_SIZE": int(env.get("ANTAR_NOTIFICATION_BATCH_SIZE", "50")),
        "NOTIFICATION_SEND_CONCURRENCY": int(env.get("ANTAR_NOTIFICATION_SEND_CONCURRENCY", "8")),
        # SMS of one city sent side by side, their intents committed together (at most once).
        "NOTIFICATION_SMS_WAVE": int(env.get("ANTAR_NOTIFICATION_SMS_WAVE", "8")),
        # How long one drain job takes new batches before it queues itself again.
        "NOTIFICATION_DRAIN_SECONDS": float(env.get("ANTAR_NOTIFICATION_DRAIN_SECONDS", "10")),
        # A WhatsApp message whose sending worker died waits this long for its receipt before a resend.
        "NOTIFICATION_RECEIPT_GRACE": float(env.get("ANTAR_NOTIFICATION_RECEIPT_GRACE", "300")),
        # WhatsApp's pair limit: about one message per 6 s from one business number to one person.
        "WHATSAPP_PAIR_INTERVAL": float(env.get("ANTAR_WHATSAPP_PAIR_INTERVAL", "6")),
        # How stale a web process's copy of a city may get when another process changes it.
        "TENANT_CACHE_SECONDS": float(env.get("ANTAR_TENANT_CACHE_SECONDS", "1")),
        "SWEEP_INTERVAL": int(env.get("ANTAR_SWEEP_INTERVAL", "60")),
        "LOGIN_RATE_LIMIT": env.get("ANTAR_LOGIN_RATE_LIMIT", "10 per minute"),
        "LOGIN_ACCOUNT_RATE_LIMIT": env.get("ANTAR_LOGIN_ACCOUNT_RATE_LIMIT", "5 per 15 minutes"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    }
    config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"] or "memory://"
    config["RATELIMIT_HEADERS_ENABLED"] = True
    # Redis briefly gone: keep limiting from memory rather than failing every sign-in.
    config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    config["RATELIMIT_ENABLED"] = _flag(env.get("ANTAR_RATELIMIT"), default=True)
    config.update(overrides)
    if production:
        _refuse_unsafe_production(config)
    multiprocess_dir = env.get("PROMETHEUS_MULTIPROC_DIR")
    if multiprocess_dir and not os.path.isdir(multiprocess_dir):
        # prometheus_client would fail every request's timing, and so the request, instead.
        raise ConfigError(f"PROMETHEUS_MULTIPROC_DIR names no directory: {multiprocess_dir}")
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    else:
        # No pool_pre_ping (a round trip per checkout): connections the server closed are dropped at
        # checkout by a look at their socket (saas.extensions), and a lost one answers a clean 503.
        config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_size": 10, "max_overflow": 10, "pool_recycle": 3600})
    return config
